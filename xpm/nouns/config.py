"""Which WordNet senses make a caption word an object noun. Defaults are measured: docs/method.md
(deviation 7) and docs/results.md."""

from __future__ import annotations

from dataclasses import dataclass

# The paper takes descendants of object.n.01. Measured on the COCO class names, that alone
# misses every food (pizza, sandwich, donut sit under food -> substance -> matter) and signals
# (traffic light -> visual signal -> communication), so foods, visual signals and public signs
# (stop sign's head noun) are roots too. Body parts sit under part.n.03, beside object.n.01: without
# that root a hand is found only as a hired hand and a dog's mouth as a cave's.
DEFAULT_ROOTS = ("object.n.01", "food.n.01", "food.n.02", "visual_signal.n.01", "sign.n.02", "body_part.n.01")

# First-sense-only misses kite (a bird first), microwave (a wave first) and mug; the first three
# senses find all of them, and no abstract word of the test set (idea, time, premiere,
# illustration, victory) has an object sense that early.
DEFAULT_SENSES = 3

# Words that captions use for the picture itself or for places in it, not for an object in it.
# Each has an object sense among its first three (a photograph is an artifact), and each is
# frequent in web captions ("stock photo of", "on the left side").
FRAMING_WORDS = (
    "photo", "photograph", "picture", "image", "shot", "snapshot", "art", "artwork", "stock",
    "vector", "illustration", "view", "background", "front", "top", "bottom", "side", "middle",
    "left", "right", "way", "lot", "thing", "piece", "part", "kind", "type", "set", "close",
    "closeup", "scene", "frame", "selfie", "screen_shot", "portrait", "depiction", "graphic", "painting",
    "drawing", "sketch", "cartoon", "poster", "render", "rendering",
)

# COCO-Stuff's stuff categories as captions name them: surfaces, terrain and materials, which a
# caption names as where things are ("dogs playing in the snow", "a bike against the wall"), not as
# a thing to box. Decided by example, COCO-Stuff's table, tree, house, bridge, fence, flower,
# window and door stay objects: captions name them as things ("a cat under the table").
STUFF_WORDS = (
    "grass", "sky", "cloud", "fog", "snow", "sand", "water", "ice", "mud", "dirt", "gravel", "moss", "straw",
    "wood", "stone", "metal", "plastic", "cardboard", "cloth", "textile", "floor", "wall", "ceiling", "ground",
    "pavement", "asphalt", "concrete", "brick", "tile", "carpet", "wallpaper", "foliage", "vegetation", "lawn",
    "horizon", "sunset", "sunrise", "shade", "shadow", "light", "darkness", "smoke", "dust", "rain",
    # a building's outer surface, the steps of a stairway, a coat of hair and a pool of water, named
    # as where things are ("a cat on the roof", "shoes on the stairs", "water off its fur")
    "roof", "stair", "step", "fur", "puddle", "rock", "paint",
    # a crop standing in a field ("a mouse in the wheat")
    "wheat",
    # colour words: adjectives in captions ("a white background"), people or pigments in WordNet
    "white", "black", "red", "blue", "green", "yellow", "brown", "pink", "purple", "gray", "grey", "silver",
)

# A lemma whose most frequent noun sense (WordNet's first), or whose most frequent object sense, is
# a place, a scene or an idea is not read as an object, even where a later sense is one: "park",
# "street", "field", "beach", "kitchen", "airport", "village" (a community) and "forest"
# (vegetation) are where a picture is taken, and so is a yard (first a measure, then a garden);
# "goal" and "premiere" are no things. So are platforms, porches and stairs (pier, deck, veranda,
# steps): where the subject stands, not a thing beside it. Only these roots count: kite (first a
# bad cheque), microwave (a wave), saucer (a disk shape) and campfire (an event) keep their object
# senses, as no listed root holds their first sense.
NOT_OBJECT_FIRST_SENSES = (
    "location.n.01", "geological_formation.n.01", "body_of_water.n.01", "road.n.01", "path.n.02", "room.n.01", "facility.n.01",
    "place_of_business.n.01", "vegetation.n.01", "community.n.01", "political_unit.n.01", "cognition.n.01",
    "social_event.n.01", "platform.n.01", "porch.n.01", "stairway.n.01",
    # marsh, wetland, swamp, soil, turf; spring (the season before the coil), a nap
    "land.n.02", "time_period.n.01",
)

# Words captions use for the thing though WordNet's first senses say otherwise: COCO's toilet is the
# fixture, not the room; a ladder is carried, though WordNet files it as stairs; a stage, a pallet
# and a turntable are platforms one can box; a crown is worn, though WordNet has a hill's crown
# first. Their object senses, or where none is under the roots their first sense, are read: a coin
# is money, a trophy and a medal signals, a card paper, a campfire an event, a log a part, a case
# first an event, a cabin first a ship's room, a jersey first a state, a hippo first an ancient
# town, in WordNet. (Skipping capitalised first senses for every word would make objects of the
# places captions name: Berlin is also a carriage, China porcelain, Manhattan a cocktail.)
OBJECTS_DESPITE_FIRST_SENSE = (
    "toilet", "ladder", "stepladder", "stage", "pallet", "turntable", "crown",
    "coin", "trophy", "medal", "card", "campfire", "firework", "log", "case", "cabin", "jersey", "hammock", "locker",
    "hippo",
)

# Nouns for a relation, not for a look: a member, owner or guest is a person the caption names
# elsewhere or not at all. WordNet files them as persons; a fan is also a device, which captions
# name by its compound ("an electric fan", "a ceiling fan").
ROLE_WORDS = (
    "member", "friend", "owner", "guest", "winner", "participant", "partner", "colleague", "visitor", "fan",
    "neighbor", "neighbour", "customer", "supporter", "client", "champion",
)

# Nouns for a collective: a crowd, team or band is several objects (WordNet gives some an object
# sense: band, a stripe). As subjects they take either verb ("the staff stand", "a flock of birds flies").
# Those that only gather animals: the noun before names the animals ("a bison herd", "sheep
# flock"), where before the others it is a modifier ("a newlywed couple", "a girl band", "cat
# litter", "a dog pack" of things).
ANIMAL_GROUP_WORDS = ("flock", "herd")
GROUP_WORDS = (
    "team", "crowd", "family", "staff", "band", "group", "audience", "couple", "crew", "squad", "choir", "pack", "litter",
) + ANIMAL_GROUP_WORDS

# Depictions and designs: the picture shows what they depict ("pattern with flowers": flowers),
# while the depiction itself is no object class (an icon is a picture in WordNet).
DEPICTION_WORDS = (
    "icon", "logo", "pattern", "design", "symbol", "emblem", "silhouette", "texture", "motif", "clipart", "mural", "shape",
    "sticker", "mosaic", "watercolor", "watercolour", "oil painting",
)

# Premises named for what happens inside, and events: captions say where and when ("in a cafe",
# "during the match"), and WordNet files the words as buildings or as objects (a match is a
# matchstick first).
PLACE_AND_EVENT_WORDS = (
    "cafe", "restaurant", "hotel", "hospital", "shop", "store", "supermarket", "mall", "market", "bar", "pub",
    "bakery", "school", "museum", "gallery", "theater", "theatre", "cinema", "gym", "salon", "studio", "square",
    "match", "game", "race", "concert", "festival", "party", "ceremony", "wedding", "parade", "show", "picnic",
    "tour", "conference", "meeting", "premiere", "competition", "tournament", "event", "reception", "rodeo",
    "stadium", "arena",
    # parts of grounds and buildings named as where the subject is ("reads in the courtyard", "a
    # boat at the dock", "the pitcher on the mound"), which WordNet files as structures or equipment
    "balcony", "courtyard", "farmyard", "garage", "dock", "runway", "mound", "terrace", "patio", "marina", "attic",
    "hallway", "paddock",
    # meals: "at dinner", "prepares dinner"; WordNet files a meal under food
    "breakfast", "brunch", "lunch", "dinner", "supper", "meal",
)

# Nouns ending in -ing whose stem is a verb but which name things; after another noun they are
# still nouns ("an office building"), where other -ing words are participles ("a man working").
ING_OBJECT_NOUNS = (
    "building", "painting", "clothing", "railing", "icing", "frosting", "stuffing", "filling", "bedding", "drawing",
    "carving", "housing", "siding", "lining", "dressing", "topping", "covering", "engraving", "etching", "coating",
    "molding", "piping", "plumbing", "wiring", "tubing", "fencing", "flooring", "paneling", "roofing", "shelving",
    "seating", "lighting", "wrapping",
)

# Grammatical words that WordNet also lists as rare nouns ("a" is vitamin A, "la" Louisiana);
# they are never read as nouns.
FUNCTION_WORDS = (
    "a", "an", "the", "of", "in", "on", "at", "to", "by", "for", "from", "with", "into", "onto",
    "over", "under", "near", "and", "or", "but", "is", "are", "was", "were", "be", "it", "its",
    "this", "that", "these", "those", "he", "she", "his", "her", "we", "our", "they", "their",
    "you", "your", "my", "me", "us", "i", "as", "up", "out", "so", "no", "not", "do", "go",
    "some", "there", "here", "who", "what", "one", "la", "le", "de", "el", "un", "en",
    # prepositions and particles: "drives down the street" names no feathers
    "down", "off", "outside", "inside", "behind", "across", "along", "around", "through", "past", "above",
    "below", "beside", "between", "beyond", "toward", "towards", "upon", "within", "without", "during",
)

# Nouns used only in the plural, whose singular is another object (glasses, not a glass).
PLURAL_NOUNS = (
    "glasses", "sunglasses", "eyeglasses", "scissors", "pants", "trousers", "shorts", "jeans",
    "pajamas", "clothes", "binoculars", "goggles", "headphones", "earphones", "tongs", "pliers", "shears", "fries",
)

# How a word with several object senses gets one: lesk, the overlap of the caption's words with
# each sense's signature (xpm.nouns.senses); gloss-embedding, the text model's caption embedding
# against each sense's gloss (xpm.nouns.sense_model), a model forward per caption that needs one.
SENSE_RULES = ("lesk", "gloss-embedding")

# Plurals WordNet files as group nouns of their own; captions mean the individuals.
DEFAULT_ALIASES = (("people", "person"), ("persons", "person"), ("oxen", "ox"))


@dataclass(frozen=True)
class NounConfig:
    """How caption nouns are found; every field changes the lexicon's cache key."""

    roots: tuple[str, ...] = DEFAULT_ROOTS
    senses: int = DEFAULT_SENSES
    stoplist: tuple[str, ...] = FRAMING_WORDS + STUFF_WORDS + PLACE_AND_EVENT_WORDS
    # Nouns that name no object class, read as nouns all the same: they end a noun compound
    # ("web design" names no web) and are the subject of a verb ("the crowd watches").
    not_object_words: tuple[str, ...] = ROLE_WORDS + GROUP_WORDS + DEPICTION_WORDS
    # Collective nouns among them, for a verb's agreement.
    group_words: tuple[str, ...] = GROUP_WORDS
    # Class names of the job: they are objects even where the lists above name them.
    classes: tuple[str, ...] = ()
    not_object_first_senses: tuple[str, ...] = NOT_OBJECT_FIRST_SENSES
    objects_despite_first_sense: tuple[str, ...] = OBJECTS_DESPITE_FIRST_SENSE
    ing_object_nouns: tuple[str, ...] = ING_OBJECT_NOUNS
    function_words: tuple[str, ...] = FUNCTION_WORDS
    plural_nouns: tuple[str, ...] = PLURAL_NOUNS
    aliases: tuple[tuple[str, str], ...] = DEFAULT_ALIASES
    max_caption_chars: int = 1000
    # The longest multi-word noun tried, in words.
    max_words: int = 4
    # A sense's score is its signature's overlap with the caption plus this times log(1 + its
    # tagged count): one shared word outweighs a count ratio below e^(1/weight).
    sense_prior_weight: float = 0.5
    sense_rule: str = "lesk"
    # gloss-embedding's score is the cosine of caption and gloss plus this times log(1 + the
    # tagged count): chosen on the development rows of the gold set (docs/results.md).
    gloss_prior_weight: float = 0.08

    def __post_init__(self) -> None:
        if self.senses < 1:
            raise ValueError(f"nouns.senses={self.senses}: count at least the first sense (1).")
        if not self.roots:
            raise ValueError("nouns.roots is empty: name at least one WordNet synset, e.g. object.n.01.")
        if self.max_caption_chars < 1:
            raise ValueError(f"nouns.max_caption_chars={self.max_caption_chars} must be positive.")
        if self.sense_prior_weight < 0:
            raise ValueError(f"nouns.sense_prior_weight={self.sense_prior_weight} must be >= 0 (0: context alone).")
        if self.sense_rule not in SENSE_RULES:
            raise ValueError(f"nouns.sense_rule={self.sense_rule!r}: one of {', '.join(SENSE_RULES)}.")
        if self.gloss_prior_weight < 0:
            raise ValueError(f"nouns.gloss_prior_weight={self.gloss_prior_weight} must be >= 0 (0: the gloss alone).")
        if self.max_words < 1:
            raise ValueError(f"nouns.max_words={self.max_words} must be positive.")
