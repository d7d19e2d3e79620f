from .base import Completion, Message, Teacher, TeacherError, TokenLogprob, Usage, probability_of
from .fake import FakeTeacher

__all__ = ["Completion", "FakeTeacher", "Message", "Teacher", "TeacherError", "TokenLogprob", "Usage", "probability_of"]
