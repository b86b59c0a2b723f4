"""The synthetic world's object classes: an emoji glyph each, named by a plain English noun.

Every name is a WordNet noun that caption-noun extraction finds as itself, so a caption that
names a class yields exactly that class's name (a test checks it). Synonyms are other nouns
a caption may use for the same object, as web captions do.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ObjectClass:
    name: str
    emoji: str
    category: str
    synonyms: tuple[str, ...] = ()
    plural: str | None = None

    def plural_name(self, word: str | None = None) -> str:
        """English plural of ``word`` (the class name by default)."""
        word = word or self.name
        if word == self.name and self.plural:
            return self.plural
        if word.endswith(("s", "x", "z", "ch", "sh")):
            return word + "es"
        if word.endswith("y") and word[-2:-1] not in "aeiou":
            return word[:-1] + "ies"
        return word + "s"


def _classes(category: str, rows: str) -> list[ObjectClass]:
    """Parse ``name|emoji|synonym,synonym|plural`` lines."""
    classes = []
    for line in rows.strip().splitlines():
        name, emoji, synonyms, plural = (line.split("|") + ["", ""])[:4]
        classes.append(
            ObjectClass(
                name=name.strip(),
                emoji=emoji.strip(),
                category=category,
                synonyms=tuple(s.strip() for s in synonyms.split(",") if s.strip()),
                plural=plural.strip() or None,
            )
        )
    return classes


CATALOG: tuple[ObjectClass, ...] = tuple(
    _classes(
        "animal",
        """
dog|🐕|puppy,hound
cat|🐈|kitten,kitty
horse|🐎|pony
cow|🐄|cattle|cows
elephant|🐘|
sheep|🐑|lamb|sheep
pig|🐖|hog
rabbit|🐇|bunny
mouse|🐁||mice
monkey|🐒|
duck|🦆|
penguin|🐧|
owl|🦉|
turtle|🐢|tortoise
snake|🐍|serpent
fish|🐟||fish
whale|🐋|
dolphin|🐬|
octopus|🐙||octopuses
crab|🦀|
camel|🐪|
tiger|🐅|
butterfly|🦋|
snail|🐌|
bee|🐝|
deer|🦌||deer
goat|🐐|
kangaroo|🦘|
rhinoceros|🦏|rhino
mammoth|🦣|
hippopotamus|🦛|hippo|hippopotamuses
squirrel|🐿|
flamingo|🦩|
crocodile|🐊|
""",
    )
    + _classes(
        "vehicle",
        """
bus|🚌|coach
car|🚗|automobile
truck|🚚|lorry
bicycle|🚲|bike
motorcycle|🏍|motorbike
locomotive|🚂|engine
sailboat|⛵|boat
ship|🚢|
helicopter|🚁|
tractor|🚜|
ambulance|🚑|
taxi|🚕|cab
rocket|🚀|
scooter|🛴|
skateboard|🛹|
airplane|✈|plane,aircraft
fire engine|🚒|
""",
    )
    + _classes(
        "food",
        """
banana|🍌|
apple|🍎|
pizza|🍕|
cake|🍰|
orange|🍊|tangerine
broccoli|🥦||broccoli
carrot|🥕|
hot dog|🌭|
sandwich|🥪|
donut|🍩|doughnut
strawberry|🍓|
watermelon|🍉|
pineapple|🍍|
cherry|🍒|
lemon|🍋|
pear|🍐|
mushroom|🍄|
egg|🥚|
bread|🍞|loaf|bread
cheese|🧀||cheese
croissant|🥐|
hamburger|🍔|burger
cookie|🍪|biscuit
tomato|🍅||tomatoes
cupcake|🧁|
""",
    )
    + _classes(
        "household",
        """
umbrella|☂|parasol
scissors|✂|shears|scissors
cup|☕|mug
keyboard|⌨|
couch|🛋|sofa
chair|🪑|
bed|🛏|
toilet|🚽|
clock|🕰|
book|📕|
laptop|💻|notebook
telephone|☎|phone
key|🔑|
knife|🔪||knives
spoon|🥄|
bottle|🍾|
vase|🏺|
teddy bear|🧸|teddy
backpack|🎒|rucksack
necktie|👔|tie
kite|🪁|
guitar|🎸|
hammer|🔨|
bell|🔔|
trumpet|🎺|
violin|🎻|fiddle
drum|🥁|
camera|📷|
television|📺|tv
radio|📻|
candle|🕯|
basket|🧺|
broom|🧹|
balloon|🎈|
crown|👑|
glasses|👓|spectacles|glasses
sneaker|👟|shoe
anchor|⚓|
axe|🪓|
wrench|🔧|spanner
telescope|🔭|
microscope|🔬|
pencil|✏|
""",
    )
)

CLASSES_BY_NAME: dict[str, ObjectClass] = {c.name: c for c in CATALOG}
