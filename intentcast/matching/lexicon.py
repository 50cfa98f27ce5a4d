"""The shipped retail lexicon: synonyms, related terms, units and filler.

Plain data, kept as Python so the pure matching package reads no files
(``tests/test_layering.py`` forbids ``open``/``read_text`` here). Edit the
text blocks; entries are analysed (case-folded, stemmed) at import.

- :data:`SYNONYMS`: one group per line, ``canonical, other, other``. A
  word or phrase in a group means the same as the first entry, on both
  sides (intent titles and catalog items). Phrases are written with spaces
  and match the same words glued or hyphenated (``power bank`` =
  ``powerbank`` = ``power-bank``).
- :data:`RELATED`: ``word: term, term`` on one line. An intent word also
  finds items that name one of the related terms, at a lower weight
  (``RELATED_WEIGHT``): needs wording (``warm``) to products (``coat``), a
  broad word (``footwear``) to narrow ones.
- :data:`UNITS`: unit spellings to (dimension, factor to the dimension's
  base unit).
- :data:`FILLER`: words that say nothing about *what* is wanted, budget
  and delivery wording included.
"""

from __future__ import annotations

from typing import Final

SYNONYMS: Final = """
phone, smartphone, cellphone, cell phone, mobile phone, mobile, handy
laptop, notebook, notebook computer
tv, television, telly, tele
headphone, headset
earphone, earbud, in ear, earpod, ear bud
powerbank, power bank, portable charger, battery pack
charger, charging adapter, power adapter, wall charger, plug adapter
cable, cord, lead
playstation5, ps5, playstation 5
playstation4, ps4, playstation 4
console, games console, gaming console, video game console
ssd, solid state drive, solid state disk
usbc, usb c, type c
wifi, wi fi, wlan, wireless lan
mouse, mice
tshirt, t shirt, tee, tee shirt
hoodie, hoody, hooded sweatshirt, sweatshirt with hood
sweater, jumper, pullover
jean, denim trouser, denim pant
trouser, pant, slack
sneaker, trainer, runner, tennis shoe, running shoe, jogging shoe, jogger shoe
raincoat, rain jacket, rain coat, waterproof jacket
beanie, woolly hat, wooly hat, knit hat, knitted hat, toque, bobble hat
scarf, scarves, shawl
glove, mitt
bag, tote
sock, socks
sofa, couch, settee
sofa bed, sleeper sofa, sofa sleeper, bed settee, sleeper couch
bookcase, bookshelf, book shelf, shelving unit
office chair, desk chair, computer chair
duvet, comforter, quilt, doona
pillow, cushion
pan, skillet, frying pan, fry pan
coffee machine, coffee maker, coffeemaker, filter coffee machine
pot, planter, plant pot, flower pot
lamp, luminaire
oat, porridge oat, rolled oat, oatmeal
olive oil, evoo, extra virgin olive oil
chocolate, choc, choco
bike, bicycle, cycle
ebike, e bike, electric bike, pedelec
mtb, mountain bike, 29er
helmet, bike helmet, cycling helmet
backpack, rucksack, daypack, knapsack
football, soccer ball, soccer
racket, racquet
dumbbell, dumbell, barbell
puzzle, jigsaw, jigsaw puzzle
board game, boardgame, tabletop game
catan, settlers of catan
teddy, teddy bear, stuffed animal, plush toy, soft toy, cuddly toy
rc car, remote control car, radio controlled car
childrens book, picture book, kids book, children book, kid book
chess set, chess board, chessboard, chess game
kid, child, children, childrens
person, people, persons
litre, liter
grey, gray
colour, color
aluminium, aluminum
"""

RELATED: Final = """
warm: coat, jacket, scarf, beanie, glove, sweater, hoodie, fleece, wool, down
winter: coat, jacket, scarf, beanie, glove, sweater, wool, down
cold: coat, jacket, scarf, beanie, glove, sweater, wool
rain: raincoat, waterproof, umbrella
footwear: shoe, sneaker, boot
shoe: sneaker, boot
coat: jacket
hat: beanie, cap
clothes: tshirt, hoodie, jean, dress, jacket
snack: nut, chocolate, crisp, bar
snacking: nut, chocolate, crisp
healthy: nut, oat, organic
breakfast: oat, muesli, coffee, honey
gaming: console, playstation5, game
game: console
reading: desk lamp, book
bedside: desk lamp
nightstand: desk lamp
toy: rc car, doll, teddy, kite, puzzle
camping: tent, sleeping bag, backpack
hiking: backpack, boot
board game: chess set, catan, monopoly, scrabble, backgammon
sweatshirt: hoodie, sweater
hood: hoodie
gift: book, teddy, puzzle
fifa: fc
"""

#: How much a related term counts against the word it stands for.
RELATED_WEIGHT: Final = 0.75

#: unit spelling -> (dimension, factor to the base unit of the dimension).
UNITS: Final[dict[str, tuple[str, float]]] = {
    "mb": ("data", 0.001), "gb": ("data", 1.0), "gig": ("data", 1.0), "tb": ("data", 1000.0),
    "mm": ("length", 1.0), "cm": ("length", 10.0), "m": ("length", 1000.0),
    "meter": ("length", 1000.0), "metre": ("length", 1000.0), "km": ("length", 1e6),
    "in": ("length", 25.4), "inch": ("length", 25.4), "inches": ("length", 25.4),
    '"': ("length", 25.4), "zoll": ("length", 25.4),
    "g": ("mass", 1.0), "gr": ("mass", 1.0), "gram": ("mass", 1.0), "grams": ("mass", 1.0),
    "kg": ("mass", 1000.0), "kilo": ("mass", 1000.0), "kilos": ("mass", 1000.0),
    "ml": ("volume", 1.0), "cl": ("volume", 10.0), "l": ("volume", 1000.0),
    "litre": ("volume", 1000.0), "litres": ("volume", 1000.0), "liter": ("volume", 1000.0),
    "liters": ("volume", 1000.0), "ltr": ("volume", 1000.0),
    "w": ("power", 1.0), "watt": ("power", 1.0), "watts": ("power", 1.0),
    "kw": ("power", 1000.0),
    "mah": ("charge", 1.0), "wh": ("energy", 1.0), "kwh": ("energy", 1000.0),
    "hz": ("frequency", 1.0), "mp": ("pixels", 1.0),
}  # fmt: skip

#: Attribute-name suffixes that give a number its unit (``storage_gb = 128``).
UNIT_SUFFIXES: Final[dict[str, str]] = {
    "mb": "mb", "gb": "gb", "tb": "tb", "mm": "mm", "cm": "cm", "m": "m", "km": "km",
    "inch": "inch", "in": "inch", "g": "g", "kg": "kg", "ml": "ml", "cl": "cl", "l": "l",
    "w": "w", "kw": "kw", "mah": "mah", "wh": "wh", "hz": "hz", "mp": "mp",
}  # fmt: skip

#: Words that say nothing about what is wanted: grammar, politeness,
#: budget and delivery wording. Dropped from intent titles before matching.
FILLER: Final = frozenset(
    """
    a an and any are as at be best buy buying by cheap for from good great i in is it
    looking me my need needed new of on one or please some the to used want wanted we
    with something anything thing stuff nice quality decent around about approx
    under below max maximum budget less than up upto cost costs costing price priced
    eur euro euros usd dollar dollars gbp pound pounds chf
    deliver delivered delivery shipping shipped ship ships arrive arriving asap fast
    quick quickly soon today tomorrow tonight week weeks day days next this
    monday tuesday wednesday thursday friday saturday sunday weekend before until
    size sized
    """.split()
)

#: Irregular plurals the stemmer does not fold.
IRREGULAR: Final[dict[str, str]] = {
    "scarves": "scarf", "knives": "knife", "shelves": "shelf", "leaves": "leaf",
    "mice": "mouse", "children": "child", "people": "person", "feet": "foot",
    "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
    "eight": "8", "nine": "9", "ten": "10", "wolves": "wolf", "loaves": "loaf",
    "halves": "half", "wives": "wife",
}  # fmt: skip
