import pytest

from xpm.nouns.senses import choose_sense, prepare_senses, stem, stems


@pytest.mark.parametrize("words", [("potted", "pot", "pots"), ("moves", "moving", "moved", "move"),
                                   ("berries", "berry"), ("horses", "horse"), ("glasses", "glass")])
def test_inflections_share_a_stem(words):
    assert len({stem(word) for word in words}) == 1


def test_final_s_of_a_singular_stays():
    assert stem("bus") == "bus" and stem("iris") == "iris"


def test_stems_drop_words_that_say_nothing_about_a_sense():
    assert stems("a dish on which food is usually served") == {"dish", "food", "serv"}


SENSES = [["home_plate.n.01", 6, ["baseball", "base", "batter"], ""], ["plate.n.04", 3, ["dish", "food", "serv"], ""]]


def test_one_shared_word_outweighs_a_small_prior_difference():
    assert choose_sense(prepare_senses(SENSES, 0.5), frozenset({"food"})) == "plate.n.04"


def test_without_shared_words_the_prior_decides_and_a_heavy_prior_outweighs_one_word():
    assert choose_sense(prepare_senses(SENSES, 0.5), frozenset({"table"})) == "home_plate.n.01"
    assert choose_sense(prepare_senses(SENSES, 5.0), frozenset({"food"})) == "home_plate.n.01"


def test_a_tie_goes_to_the_earlier_sense():
    tied = [["a.n.01", 0, ["x"], ""], ["b.n.01", 0, ["x"], ""]]
    assert choose_sense(prepare_senses(tied, 0.5), frozenset({"x"})) == "a.n.01"
