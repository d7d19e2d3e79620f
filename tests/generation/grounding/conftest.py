import pytest

from tests.generation.grounding.support import make_checker


@pytest.fixture
def checker():
    return make_checker()
