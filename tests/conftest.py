import pytest


@pytest.fixture(scope="session")
def lexicon():
    from pipeline.nouns import load_lexicon

    return load_lexicon()


@pytest.fixture(scope="session")
def extract(lexicon):
    from pipeline.nouns import NounExtractor

    return NounExtractor(lexicon)


@pytest.fixture(scope="session")
def lemmas(extract):
    def nouns_of(caption):
        return [noun.lemma for noun in extract(caption).nouns]

    return nouns_of
