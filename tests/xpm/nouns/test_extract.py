import pytest

from xpm.nouns import NounConfig, NounExtractor, load_lexicon
from xpm.synth.captions import EMPTY_CAPTIONS, TEMPLATES
from xpm.synth.catalog import CATALOG

COCO_CLASSES = (
    "person bicycle car motorcycle airplane bus train truck boat traffic_light fire_hydrant stop_sign "
    "parking_meter bench bird cat dog horse sheep cow elephant bear zebra giraffe backpack umbrella "
    "handbag tie suitcase frisbee skis snowboard sports_ball kite baseball_bat baseball_glove skateboard "
    "surfboard tennis_racket bottle wine_glass cup fork knife spoon bowl banana apple sandwich orange "
    "broccoli carrot hot_dog pizza donut cake chair couch potted_plant bed dining_table toilet tv laptop "
    "mouse remote keyboard cell_phone microwave oven toaster sink refrigerator book clock vase scissors "
    "teddy_bear hair_drier toothbrush"
).split()
# COCO names that WordNet has no compound for give their head noun; plural names their lemma.
COCO_EXPECTED = {"stop_sign": "sign", "sports_ball": "ball", "wine_glass": "glass", "potted_plant": "plant",
                 "cell_phone": "phone", "skis": "ski"}


@pytest.mark.parametrize("name", COCO_CLASSES)
def test_every_coco_class_is_found(lemmas, name):
    words = name.replace("_", " ")
    expected = COCO_EXPECTED.get(name, words)
    assert expected in lemmas(f"a photo of a {words} on the table")


@pytest.mark.parametrize("word", ["idea", "time", "premiere", "illustration", "victory", "photo", "view"])
def test_abstract_and_framing_words_are_not_objects(lemmas, word):
    assert lemmas(f"the {word} of the year") == []


def test_plurals_are_lemmatised(lemmas):
    assert lemmas("two dogs chase three mice past the buses, knives and geese") == ["dog", "mouse", "bus", "knife", "goose"]
    assert lemmas("cows, eggs and clocks") == ["cow", "egg", "clock"]


def test_plural_only_nouns_keep_their_sense(lemmas):
    assert lemmas("a man wearing glasses holds scissors") == ["man", "glasses", "scissors"]


def test_multi_word_nouns_match_longest_first(lemmas):
    assert lemmas("a teddy bear, hot dogs and a fire hydrant near a traffic light") == [
        "teddy bear", "hot dog", "fire hydrant", "traffic light"
    ]


def test_noun_compounds_name_their_head(lemmas):
    assert lemmas("an orange cat sleeping in a pizza box") == ["cat", "box"]
    assert lemmas("oranges, cats and pizza") == ["orange", "cat", "pizza"]
    assert lemmas("the men's bicycles") == ["man", "bicycle"]


def test_each_noun_once_with_its_synset(extract):
    result = extract("A dog and another dog and DOGS")
    assert [n.to_json() for n in result.nouns] == [{"lemma": "dog", "synset": "dog.n.01"}]


def test_function_words_are_never_nouns(lemmas):
    assert lemmas("a la carte in the house") == ["house"]


@pytest.mark.parametrize(
    "caption, reason",
    [
        ("", "empty"),
        ("   \n\t", "empty"),
        (b"\xff\xfe\xfa broken", "UTF-8"),
        (None, "not text"),
        (12, "not text"),
        ("x" * 10_000, "longer than"),
        ("犬と猫が公園で遊んでいる", "not English"),
        ("un chien et un chat dans le jardin", "not English"),
        ("<script>alert(1)</script><p>   </p>", "no object nouns"),
    ],
)
def test_bad_captions_give_no_nouns_and_a_reason(extract, caption, reason):
    result = extract(caption)
    assert result.nouns == []
    assert reason in result.reason


def test_markup_is_stripped(lemmas):
    assert lemmas("<b>Cats</b> &amp; <i>dogs</i>") == ["cat", "dog"]
    assert lemmas("a dog".encode("utf-8")) == ["dog"]


def test_first_sense_only_misses_microwave(tmp_path):
    # Why the default counts the first three senses: a microwave is first a wave.
    first_only = NounExtractor(load_lexicon(NounConfig(senses=1), cache_dir=tmp_path))
    assert [n.lemma for n in first_only("a microwave and a dog").nouns] == ["dog"]


def test_verbs_after_nouns_are_not_nouns(lemmas):
    assert lemmas("a dog chases a cat") == ["dog", "cat"]
    assert lemmas("two dogs chase a cat") == ["dog", "cat"]


@pytest.mark.parametrize("cls", CATALOG, ids=lambda c: c.name)
def test_every_synthetic_class_is_found_as_itself(lemmas, cls):
    assert lemmas(f"a photo of a {cls.name}") == [cls.name]
    assert lemmas(f"three {cls.plural_name()} here") == [cls.name]


def test_synthetic_caption_filler_names_no_object(lemmas):
    for template in TEMPLATES:
        assert lemmas(template.format(objects="")) == [], template
    for caption in EMPTY_CAPTIONS:
        assert lemmas(caption) == [], caption


def test_config_rejects_bad_values():
    with pytest.raises(ValueError, match="senses"):
        NounConfig(senses=0)
    with pytest.raises(ValueError, match="sense_prior_weight"):
        NounConfig(sense_prior_weight=-1.0)


@pytest.mark.parametrize("caption, expected", [
    ("children playing in the park", ["child"]),
    ("cows grazing in a field of grass near the mountain", ["cow"]),
    ("hikers above the city skyline", ["hiker"]),
    ("a chef cooking in the kitchen of a restaurant", ["chef"]),
    ("football player scores a goal during the match", ["football player"]),
    ("a scene from the film premiere", []),
    ("a dog on a white background", ["dog"]),
])
def test_places_scenes_stuff_and_events_are_not_objects(lemmas, caption, expected):
    assert lemmas(caption) == expected


def test_a_participle_after_a_noun_is_a_verb_but_an_ing_object_stays(lemmas):
    assert lemmas("businessman working on a laptop") == ["businessman", "laptop"]
    assert lemmas("a train crossing a bridge") == ["train", "bridge"]
    assert lemmas("the groom cutting a cake") == ["groom", "cake"]
    assert lemmas("an office building with a clock") == ["office building", "clock"]
    assert lemmas("a city building") == ["building"]


def test_down_is_a_preposition_and_glasses_of_are_glasses(lemmas):
    assert lemmas("a car drives down the street") == ["car"]
    assert lemmas("two glasses of wine") == ["glass", "wine"]
    assert lemmas("a man wearing glasses") == ["man", "glasses"]


def test_the_toilet_is_the_fixture_and_a_ladder_is_an_object(lemmas):
    assert lemmas("a toilet next to a ladder") == ["toilet", "ladder"]


def senses_of(extract, caption):
    return [(n.lemma, n.synset) for n in extract(caption).nouns]


def test_a_verb_after_a_noun_and_before_an_object_is_no_noun_and_the_nouns_around_it_stay(extract):
    # "cut" was cut.n.03 (a trench) and took "groom" for its modifier
    assert senses_of(extract, "the bride and groom cut the cake at their wedding") == [
        ("bride", "bride.n.03"), ("groom", "groom.n.01"), ("cake", "cake.n.03")]


@pytest.mark.parametrize("caption, expected", [
    ("a cat watches the birds from the window", ["cat", "bird", "window"]),
    ("a plane lands at the airport", ["plane"]),
    ("a man fishes with a rod", ["man", "rod"]),
    ("the crowd watches the boats", ["boat"]),
    ("she cuts the cake", ["cake"]),
    ("ready to cut the cake", ["cake"]),
    ("a man sits at the bar and drinks a beer", ["man", "beer"]),
    ("cut the cake", ["cake"]),
])
def test_words_used_as_verbs_are_not_nouns(lemmas, caption, expected):
    assert lemmas(caption) == expected


@pytest.mark.parametrize("caption, expected", [
    ("a red bus driving down a street", ["bus"]),
    ("a manicure with red nails", ["nail"]),
    ("a woman in a red dress dances at the party", ["woman", "dress"]),
    ("a glass of water and a cup of tea", ["glass", "cup", "tea"]),
])
def test_nouns_that_can_be_verbs_stay_nouns_where_the_caption_uses_them_so(lemmas, caption, expected):
    assert lemmas(caption) == expected


def test_roles_groups_and_depictions_are_not_objects(lemmas):
    assert lemmas("person, a member of the band, performs on stage") == ["person", "stage"]
    assert lemmas("a set of icons for web design") == []
    assert lemmas("the team poses with the ball") == ["ball"]
    assert lemmas("seamless pattern with flowers and birds") == ["flower", "bird"]


def test_a_class_list_keeps_a_role_or_depiction_it_names(tmp_path):
    extract = NounExtractor(load_lexicon(NounConfig(classes=("logo", "team")), cache_dir=tmp_path))
    assert [n.lemma for n in extract("a logo on a shirt").nouns] == ["logo", "shirt"]
    assert [n.lemma for n in extract("the team on the bus").nouns] == ["team", "bus"]


@pytest.mark.parametrize("caption, word, synset", [
    ("a plate of food", "plate", "plate.n.04"),  # first sense: home plate
    ("a potted plant on the windowsill", "plant", "plant.n.02"),  # first sense: a factory
    ("a dog with a ball in its mouth", "mouth", "mouth.n.01"),  # first object sense was a cave's
    ("a man raises his hand", "hand", "hand.n.01"),  # a body part, not a hired hand
    ("a bat hanging upside down in a cave", "bat", "bat.n.01"),
    ("a baseball player swings his bat", "bat", "bat.n.05"),
    ("a crane lifts a container at the port", "crane", "crane.n.04"),
])
def test_the_sense_is_the_one_the_caption_supports(extract, caption, word, synset):
    assert dict(senses_of(extract, caption))[word] == synset


def test_without_context_the_most_frequent_sense_wins(extract):
    assert senses_of(extract, "a plant") == [("plant", "plant.n.01")]
    assert senses_of(extract, "a man") == [("man", "man.n.01")]


def test_a_multi_word_noun_that_is_no_object_hides_its_words_but_not_an_object_after_it(lemmas):
    assert lemmas("a traffic jam on the highway") == []
    assert lemmas("a red fire truck parked outside") == ["fire truck"]
    assert lemmas("a woman drinks a cup of tea") == ["woman", "cup", "tea"]


@pytest.mark.parametrize("caption, expected", [
    ("the owner of the shop stands behind the counter", ["counter"]),
    ("the staff of the hotel stand in the lobby", []),
    # a group noun takes either number: the flock flies, the birds do not become insects
    ("a flock of birds flies over the lake", ["bird"]),
    ("the members of the choir stand on the steps", []),
    ("a bag of potato chips on the counter", ["bag", "potato chip", "counter"]),
    ("a bowl of fresh fruit on the table", ["bowl", "fruit", "table"]),
])
def test_a_verb_after_an_of_phrase_agrees_with_the_subject_not_the_noun_before_it(lemmas, caption, expected):
    assert lemmas(caption) == expected


def test_shears_are_one_tool_and_a_neighbor_a_role(lemmas):
    assert lemmas("a man trims the hedge with shears") == ["man", "hedge", "shears"]
    assert lemmas("the cat of my neighbor sleeps on the car") == ["cat", "car"]


def test_a_fan_is_a_role_but_an_electric_fan_an_object(lemmas):
    assert lemmas("a fan waves a scarf") == ["scarf"]
    assert lemmas("fans wave flags") == ["flag"]
    assert lemmas("an electric fan on the desk") == ["electric fan", "desk"]


@pytest.mark.parametrize("caption, expected", [
    ("a boy kicks the ball across the yard", ["boy", "ball"]),  # a yard: first a measure, then a garden
    ("a man fishes with a rod from the pier", ["man", "rod"]),
    ("an empty chair on the porch of the house", ["chair", "house"]),
    ("a pair of shoes on the stairs", ["shoe"]),
    ("a woman pushes a stroller along the path", ["woman", "stroller"]),
    ("a man carrying a ladder on the roof", ["man", "ladder"]),
    ("a dog shakes water off its fur", ["dog"]),
    ("a singer on the stage", ["singer", "stage"]),
    ("a heron in the marsh", ["heron"]),
    ("a girl reads in the courtyard", ["girl"]),
    ("a boat at the dock", ["boat"]),
    ("a seal sleeps on the rocks", ["seal"]),
    ("a chicken in the farmyard", ["chicken"]),
    ("tulips in the park in the spring", ["tulip"]),
])
def test_platforms_porches_stairs_and_surfaces_are_places_not_objects(lemmas, caption, expected):
    assert lemmas(caption) == expected


def test_a_compound_that_is_no_object_yields_to_a_noun_and_its_verb(lemmas):
    # WordNet's cat_sleep (a nap) must not swallow the cat that sleeps
    assert lemmas("a cat sleeps on the sofa") == ["cat", "sofa"]
    assert lemmas("the cat sleeps") == ["cat"]
    # without a singular or definite determiner the compound stands: two car parks are places
    assert "car" not in lemmas("two car parks near a bus")


@pytest.mark.parametrize("caption, expected", [
    ("people queue outside the bank", ["person"]),
    ("the boys race down the hill", ["boy"]),
    ("three dog beds in the corner", ["bed"]),  # the plural is on the compound's last word
])
def test_a_plain_verb_between_a_plural_subject_and_a_preposition_is_a_verb(lemmas, caption, expected):
    assert lemmas(caption) == expected


def test_after_a_singular_determiner_a_plural_is_a_modifier_not_a_subject(lemmas):
    assert "ball" in lemmas("a photo of a sports ball on the table")


@pytest.mark.parametrize("caption, expected", [
    ("a boy pockets the coins from the table", ["boy", "coin", "table"]),  # WordNet: money
    ("the team poses with the trophy", ["trophy"]),  # WordNet: a signal
    ("a violin in an open case", ["violin", "case"]),  # WordNet: an event first
    ("a hamburger and fries on a tray", ["hamburger", "fries", "tray"]),  # not young fish
])
def test_things_wordnet_files_elsewhere_are_objects_by_name(lemmas, caption, expected):
    assert lemmas(caption) == expected


def test_customers_supporters_packs_murals_terraces_and_standing_wheat_are_no_objects(lemmas):
    assert lemmas("a supporter talks to a customer") == []
    assert lemmas("a pack of wolves in the snow") == ["wolf"]
    assert lemmas("a mural of a tiger on the terrace") == ["tiger"]
    assert lemmas("a field mouse in the wheat") == ["field mouse"]


@pytest.mark.parametrize("caption, expected", [
    # an -ing word that names a thing is an act after a person or an animal, or before its object
    ("a woman painting a picture", ["woman"]),
    ("a priest lighting incense at the altar", ["priest", "altar"]),
    ("a skier carving through fresh powder", ["skier", "powder"]),
    ("an office building in the city", ["office building"]),
    # a phrasal verb after a person: the verb goes, the subject and the object stay
    ("the waitress dishes up bowls of stew", ["waitress", "bowl", "stew"]),
    ("coffee cups out on the table", ["coffee cup", "table"]),
    ("a man with his hands up", ["man", "hand"]),
    # after "the", a person or an animal is one: the -s word after it is the verb
    ("the chef grills steaks on the terrace", ["chef", "steak"]),
    ("the dog beds are on sale", ["bed"]),  # no noun phrase after: a compound
    ("baby clothing on a rack", ["clothing", "rack"]),  # no determiner: a thing for a baby
])
def test_what_people_and_animals_do_is_no_object(lemmas, caption, expected):
    assert lemmas(caption) == expected


def test_a_herd_gathers_the_animals_before_it_and_a_couple_only_a_modifier(lemmas):
    assert lemmas("bison herd moving across the prairie") == ["bison"]
    assert lemmas("a newlywed couple releasing white doves") == ["dove"]
    assert lemmas("a bag of cat litter") == ["bag"]
    assert lemmas("a young couple shares an umbrella") == ["umbrella"]  # young: mostly an adjective


def test_irregular_plurals_take_their_singular_however_short(lemmas):
    assert lemmas("the farmer harnesses the oxen to the plow") == ["farmer", "ox", "plow"]
    assert lemmas("a glass of cola with ice") == ["glass", "cola"]  # not the colon it is also a plural of


def test_champions_litters_renders_and_stickers_are_no_objects(lemmas):
    assert lemmas("the champion lifts a cup") == ["cup"]
    assert lemmas("a litter of piglets in the straw") == ["piglet"]
    assert lemmas("3d render of a cute robot") == ["robot"]
    assert lemmas("a sticker with a cactus in a pot") == ["cactus", "pot"]
