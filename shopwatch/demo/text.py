"""Words for the demo world: goods, descriptions of what happened, names and appearances.

Descriptions of people say what a witness can see and a partnership may record: age, height,
build, hair, clothing, distinguishing marks. Never ethnicity, religion, political opinion or
sexual orientation.
"""

from __future__ import annotations

# (description, lowest unit price, highest unit price, most taken at once)
GOODS: dict[str, list[tuple[str, float, float, int]]] = {
    "grocery": [
        ("Beef steaks", 6.5, 12.0, 12),
        ("Jars of coffee", 4.5, 9.0, 15),
        ("Laundry capsules", 7.0, 12.0, 8),
        ("Bottles of spirits", 16.0, 35.0, 6),
        ("Blocks of cheese", 3.0, 7.5, 12),
        ("Baby formula", 11.0, 16.0, 8),
        ("Razor blades", 9.0, 22.0, 10),
        ("Boxes of chocolates", 4.0, 12.0, 10),
        ("Bottles of wine", 6.0, 14.0, 8),
        ("Meal deals", 3.5, 5.0, 3),
    ],
    "pharmacy": [
        ("Fragrance", 45.0, 110.0, 8),
        ("Electric toothbrushes", 30.0, 140.0, 4),
        ("Cosmetics", 8.0, 35.0, 15),
        ("Razor blades", 9.0, 22.0, 10),
        ("Vitamins", 6.0, 18.0, 10),
        ("Hair straighteners", 40.0, 120.0, 3),
        ("Sun cream", 6.0, 15.0, 10),
    ],
    "sports": [
        ("Trainers", 45.0, 150.0, 4),
        ("Jackets", 40.0, 180.0, 4),
        ("Sports tops", 18.0, 55.0, 8),
        ("Tracksuit bottoms", 20.0, 50.0, 6),
        ("Headphones", 25.0, 180.0, 3),
    ],
    "convenience": [
        ("Disposable vapes", 6.0, 10.0, 20),
        ("Energy drinks", 1.5, 2.5, 12),
        ("Cans of lager", 1.2, 2.0, 24),
        ("Bottles of wine", 6.0, 12.0, 6),
        ("Confectionery", 0.8, 3.0, 15),
        ("Scratchcards", 1.0, 5.0, 10),
    ],
    "hardware": [
        ("Cordless drills", 60.0, 180.0, 3),
        ("Power tool batteries", 40.0, 110.0, 4),
        ("Drill bit sets", 15.0, 45.0, 5),
        ("Extension cables", 10.0, 30.0, 5),
        ("Padlocks", 8.0, 25.0, 6),
    ],
    "offlicence": [
        ("Bottles of spirits", 18.0, 45.0, 6),
        ("Bottles of champagne", 25.0, 60.0, 6),
        ("Bottles of wine", 7.0, 20.0, 8),
        ("Cans of craft beer", 2.5, 4.5, 12),
    ],
    "electronics": [
        ("Phone chargers", 12.0, 30.0, 8),
        ("Wireless earbuds", 25.0, 160.0, 4),
        ("Smart watches", 60.0, 250.0, 2),
        ("Game controllers", 35.0, 65.0, 3),
        ("Power banks", 15.0, 45.0, 5),
    ],
}

FIRST_NAMES = [
    "Jack",
    "Liam",
    "Connor",
    "Ryan",
    "Kyle",
    "Jordan",
    "Callum",
    "Dean",
    "Lee",
    "Wayne",
    "Shane",
    "Darren",
    "Josh",
    "Aaron",
    "Nathan",
    "Luke",
    "Reece",
    "Scott",
    "Jamie",
    "Kieran",
    "Mark",
    "Paul",
    "Craig",
    "Danny",
    "Kelly",
    "Leanne",
    "Stacey",
    "Chloe",
    "Jade",
    "Gemma",
    "Amy",
    "Sarah",
    "Kerry",
    "Danielle",
    "Megan",
    "Lauren",
    "Shannon",
    "Tanya",
    "Nicola",
    "Zoe",
    "Marek",
    "Tomasz",
    "Adrian",
    "Stefan",
    "Andrei",
    "Kasia",
]
FAMILY_NAMES = [
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Robinson",
    "Wright",
    "Thompson",
    "Evans",
    "Walker",
    "White",
    "Roberts",
    "Green",
    "Hall",
    "Wood",
    "Jackson",
    "Clarke",
    "Harris",
    "Lewis",
    "Cooper",
    "King",
    "Baker",
    "Harrison",
    "Morgan",
    "Allen",
    "James",
    "Scott",
    "Phillips",
    "Watson",
    "Turner",
    "Parker",
    "Collins",
    "Edwards",
    "Stewart",
    "Hughes",
    "Price",
    "Bennett",
    "Nowak",
    "Kowalski",
    "Popescu",
    "Murphy",
    "Kelly",
    "O'Brien",
    "Doyle",
    "Fisher",
    "Mason",
    "Hunt",
]
NICKNAMES = ["Tiny", "Smudge", "Bugsy", "Sparky", "Deano", "Kaz", "Shorty", "Red", "Jonno", "Macca"]

HAIR = [
    "short brown",
    "shaved",
    "long blonde",
    "dark, tied back",
    "ginger",
    "grey, receding",
    "black curly",
    "bleached blonde",
    "short dark",
    "mousy, shoulder length",
]
BUILDS = ["slim", "medium", "heavy", "muscular"]
CLOTHING = [
    "grey hoodie and black joggers",
    "black puffer jacket",
    "navy tracksuit",
    "camouflage jacket",
    "white trainers and dark jeans",
    "black North Face-style jacket",
    "hi-vis work jacket",
    "long beige coat",
    "red baseball cap and grey hoodie",
    "black face covering and cap",
]
FEATURES = [
    "tattoo on left hand",
    "scar above right eye",
    "walks with a limp",
    "nose piercing",
    "neck tattoo",
    "carries a large blue holdall",
    "often with a small dog",
    "gold chain",
    "glasses",
    "beard",
]
GENDERS = ["Male", "Male", "Male", "Female", "Female"]

PLACES_IN_STORE = [
    "Front entrance",
    "Self-checkout area",
    "Aisle 3",
    "Health and beauty aisle",
    "Alcohol aisle",
    "Chilled meat aisle",
    "Tills",
    "Stockroom door",
    "Car park",
    "Fragrance counter",
    "Fire exit",
    "",
]

THEFT_TEMPLATES = [
    "Concealed {goods} in a {bag} and left without paying. {after}",
    "Selected {goods}, walked past the tills and out of the store. {after}",
    "Filled a basket with {goods}, then left through the {exit}. {after}",
    "Seen on CCTV putting {goods} inside {clothing}. Left the store without attempting to pay. {after}",
    "Took {goods} from the shelf and ran out when challenged by staff. {after}",
    "Scanned a few cheap items at self-checkout but left with {goods} unscanned. {after}",
]
GROUP_TEMPLATES = [
    "Group of {n} entered together. Two shielded the shelves while the others swept {goods} into "
    "lined bags. Left in a {vehicle} waiting outside, registration noted by staff.",
    "{n} offenders worked as a team: one distracted the till colleague while the others took {goods}. "
    "Drove off in a {vehicle}; registration seen on car park CCTV.",
    "Organised theft: {n} people cleared the {goods_lower} display in under two minutes and left in a "
    "{vehicle}. Same group seen at other stores the same afternoon.",
]
VIOLENCE_TEMPLATES = [
    "When challenged about unpaid {goods_lower}, the offender pushed a colleague into the shelving. {after}",
    "Offender punched a security officer who asked to check their bag. {after}",
    "Colleague was shoved and spat at after refusing an age-restricted sale. {after}",
    "Offender threw a basket at staff on the tills when asked to leave. {after}",
]
THREAT_TEMPLATES = [
    "Offender shouted abuse at staff and threatened to come back and 'sort them out' after being refused "
    "service. {after}",
    "Threatened a colleague who challenged a theft, saying they knew where they lived. {after}",
    "Abusive and intimidating towards staff at the tills for several minutes. {after}",
    "Made threats to a security officer and filmed staff on a phone. {after}",
]
ASB_TEMPLATES = [
    "Group of youths causing a nuisance at the entrance, blocking customers and throwing items. {after}",
    "Person drinking in the store and shouting at customers. Left when asked by staff.",
    "Repeatedly entering and leaving, harassing customers for money at the door.",
]
DAMAGE_TEMPLATES = [
    "Front window smashed overnight; glass and shutters damaged.",
    "Offender kicked the self-checkout screen and broke it after a disputed sale.",
    "Security tags ripped off and display cabinet lock forced.",
]
ROBBERY_TEMPLATES = [
    "Offender threatened staff with a {weapon} and demanded {goods_lower} from behind the counter. {after}",
    "Two offenders forced the till open after threatening the cashier. {after}",
]
BURGLARY_TEMPLATES = [
    "Rear door forced overnight; stockroom entered and {goods_lower} taken.",
    "Break-in through the roof light; cigarette kiosk emptied.",
]
FRAUD_TEMPLATES = [
    "Refund fraud: returned items taken from the shelf earlier for a cash refund.",
    "Paid with a card later reported stolen; goods to the value of the transaction lost.",
    "Counterfeit £20 notes used for two purchases.",
]
OTHER_TEMPLATES = [
    "Suspicious behaviour: person photographing the security tags and camera positions.",
    "Lost child incident during a theft distraction; reported for information.",
]
AFTER = [
    "Left towards the bus station.",
    "Ran off towards the high street.",
    "Picked up by a car outside.",
    "Left on a bicycle.",
    "Walked off towards the station.",
    "Staff did not follow.",
    "Detained by security until police arrived.",
    "Known to staff from previous incidents.",
    "",
]
BAGS = ["rucksack", "lined shopping bag", "pushchair", "holdall", "coat"]
EXITS = ["fire exit", "entrance", "car park doors"]
WEAPONS = ["knife", "screwdriver", "hammer", "broken bottle"]
VEHICLES = [
    ("Vauxhall", "Astra", "silver"),
    ("Ford", "Transit Custom", "white"),
    ("BMW", "3 Series", "black"),
    ("Volkswagen", "Golf", "grey"),
]
