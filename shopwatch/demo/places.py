"""The demo geography: two police force areas, three partnerships and the stores in them.

Coordinates are real town-centre shopping streets; postcodes are plausible for those streets.
Retailers are fictional. Each store's ``weight`` says how much crime it sees relative to others
(a few "hot stores" stand out, as every partnership's problem profile shows).
"""

from __future__ import annotations

from dataclasses import dataclass

SUSSEX = "sussex"
THAMES_VALLEY = "thames-valley"
BRIGHTON = "brighton-bcrp"
CRAWLEY = "crawley-bcrp"
OXFORD = "oxford-bcrp"
NETWORK = "sussex-network"
OPAL = "opal"
NAVIGATORS = "navigators"
PLATFORM = "shopwatch"

# Home Office force codes, used as the first digits of demo crime references.
FORCE_CODES = {SUSSEX: "47", THAMES_VALLEY: "43"}


@dataclass(frozen=True)
class OrgSpec:
    slug: str
    kind: str
    name: str
    force: str | None = None
    partnership_type: str = ""


@dataclass(frozen=True)
class RetailerSpec:
    slug: str
    name: str
    goods: str  # a key of shopwatch.demo.text.GOODS
    one_touch: bool  # reports through its own incident system (the API)
    weight: float


@dataclass(frozen=True)
class StoreSpec:
    key: str
    retailer: str
    code: str
    name: str
    address: str
    town: str
    postcode: str
    latitude: float
    longitude: float
    force: str
    partnership: str | None
    weight: float = 1.0


ORGANISATIONS: list[OrgSpec] = [
    OrgSpec(SUSSEX, "police_force", "Sussex Police"),
    OrgSpec(THAMES_VALLEY, "police_force", "Thames Valley Police"),
    OrgSpec(BRIGHTON, "partnership", "Brighton & Hove Business Crime Reduction Partnership", SUSSEX, "bcrp"),
    OrgSpec(CRAWLEY, "partnership", "Crawley & Horsham Business Crime Reduction Partnership", SUSSEX, "bcrp"),
    OrgSpec(OXFORD, "partnership", "Oxford Business Crime Reduction Partnership", THAMES_VALLEY, "bcrp"),
    OrgSpec("sussex-pcc", "pcc_office", "Office of the Sussex Police and Crime Commissioner", SUSSEX),
    OrgSpec("thames-valley-pcc", "pcc_office", "Office of the Thames Valley Police and Crime Commissioner",
            THAMES_VALLEY),
    OrgSpec(NAVIGATORS, "support_provider", "Navigator Trust (offender diversion)"),
    OrgSpec(OPAL, "national_unit", "Opal, national intelligence unit for organised acquisitive crime"),
    OrgSpec(PLATFORM, "platform", "ShopWatch"),
]

RETAILERS: list[RetailerSpec] = [
    RetailerSpec("northway", "Northway Foods", "grocery", True, 1.3),
    RetailerSpec("kestrel", "Kestrel Pharmacy", "pharmacy", True, 1.1),
    RetailerSpec("stride", "Stride Sports", "sports", False, 0.9),
    RetailerSpec("downland", "Downland Co-operative", "convenience", False, 0.9),
    RetailerSpec("chiltern", "Chiltern Home & DIY", "hardware", False, 0.6),
    RetailerSpec("lanes-deli", "The Lanes Deli", "grocery", False, 0.5),
    RetailerSpec("kemptown-news", "Kemptown News & Vape", "convenience", False, 0.6),
    RetailerSpec("hove-cellars", "Hove Cellars", "offlicence", False, 0.5),
    RetailerSpec("horsham-electricals", "Horsham Electricals", "electronics", False, 0.5),
    RetailerSpec("cowley-road-grocers", "Cowley Road Grocers", "grocery", False, 0.6),
    RetailerSpec("jericho-wines", "Jericho Wines", "offlicence", False, 0.5),
    RetailerSpec("reading-phone-centre", "Reading Phone Centre", "electronics", False, 0.5),
    RetailerSpec("banbury-outdoor", "Banbury Outdoor", "sports", False, 0.4),
]

S, T = SUSSEX, THAMES_VALLEY
B, C, O = BRIGHTON, CRAWLEY, OXFORD

STORES: list[StoreSpec] = [
    # Brighton
    StoreSpec("nw-brighton-churchill", "northway", "NW0101", "Northway Brighton Churchill Square",
              "Churchill Square, Western Road", "Brighton", "BN1 2RG", 50.8229, -0.1456, S, B, 4.0),
    StoreSpec("nw-brighton-london-rd", "northway", "NW0102", "Northway Brighton London Road",
              "72 London Road", "Brighton", "BN1 4JF", 50.8331, -0.1367, S, B, 1.6),
    StoreSpec("nw-brighton-lewes-rd", "northway", "NW0103", "Northway Brighton Lewes Road",
              "180 Lewes Road", "Brighton", "BN2 3LG", 50.8382, -0.1263, S, B),
    StoreSpec("ks-brighton-north-st", "kestrel", "K2201", "Kestrel Pharmacy North Street",
              "41 North Street", "Brighton", "BN1 1RH", 50.8237, -0.1410, S, B, 2.5),
    StoreSpec("ks-brighton-st-james", "kestrel", "K2202", "Kestrel Pharmacy St James's Street",
              "95 St James's Street", "Brighton", "BN2 1TP", 50.8199, -0.1307, S, B),
    StoreSpec("st-brighton-churchill", "stride", "SS-014", "Stride Sports Churchill Square",
              "Unit 12, Churchill Square", "Brighton", "BN1 2TE", 50.8226, -0.1450, S, B, 1.4),
    StoreSpec("dl-brighton-queens-rd", "downland", "DC31", "Downland Co-op Queens Road",
              "58 Queens Road", "Brighton", "BN1 3XD", 50.8262, -0.1415, S, B),
    StoreSpec("dl-brighton-marina", "downland", "DC32", "Downland Co-op Brighton Marina",
              "Merchants Quay, Brighton Marina", "Brighton", "BN2 5UF", 50.8120, -0.1020, S, B),
    StoreSpec("lanes-deli", "lanes-deli", "", "The Lanes Deli",
              "14 Meeting House Lane", "Brighton", "BN1 1HB", 50.8219, -0.1402, S, B),
    StoreSpec("kemptown-news", "kemptown-news", "", "Kemptown News & Vape",
              "120 St George's Road", "Brighton", "BN2 1EA", 50.8185, -0.1189, S, B, 1.3),
    # Hove
    StoreSpec("nw-hove-george-st", "northway", "NW0104", "Northway Hove George Street",
              "60 George Street", "Hove", "BN3 3YB", 50.8298, -0.1697, S, B, 1.4),
    StoreSpec("nw-hove-church-rd", "northway", "NW0105", "Northway Hove Church Road",
              "115 Church Road", "Hove", "BN3 2AF", 50.8276, -0.1727, S, B),
    StoreSpec("ks-hove-portland-rd", "kestrel", "K2203", "Kestrel Pharmacy Portland Road",
              "210 Portland Road", "Hove", "BN3 5QT", 50.8322, -0.1846, S, B),
    StoreSpec("hove-cellars", "hove-cellars", "", "Hove Cellars",
              "33 Blatchington Road", "Hove", "BN3 3YN", 50.8301, -0.1720, S, B),
    StoreSpec("dl-hove-boundary-rd", "downland", "DC33", "Downland Co-op Boundary Road",
              "12 Boundary Road", "Hove", "BN3 4EH", 50.8311, -0.2085, S, B),
    # Crawley
    StoreSpec("nw-crawley-queensway", "northway", "NW0201", "Northway Crawley Queensway",
              "25 Queensway", "Crawley", "RH10 1EG", 51.1128, -0.1860, S, C, 3.0),
    StoreSpec("nw-crawley-three-bridges", "northway", "NW0202", "Northway Three Bridges",
              "Hazelwick Avenue", "Crawley", "RH10 1LP", 51.1170, -0.1610, S, C),
    StoreSpec("ks-crawley-county-mall", "kestrel", "K2301", "Kestrel Pharmacy County Mall",
              "County Mall, Station Way", "Crawley", "RH10 1FD", 51.1118, -0.1878, S, C, 1.5),
    StoreSpec("dl-crawley-broadfield", "downland", "DC41", "Downland Co-op Broadfield",
              "Broadfield Barton", "Crawley", "RH11 9BA", 51.0965, -0.2010, S, C),
    StoreSpec("st-crawley-boulevard", "stride", "SS-022", "Stride Sports Crawley",
              "8 The Boulevard", "Crawley", "RH10 1XX", 51.1146, -0.1844, S, C),
    # Horsham
    StoreSpec("nw-horsham-west-st", "northway", "NW0203", "Northway Horsham West Street",
              "40 West Street", "Horsham", "RH12 1PB", 51.0625, -0.3290, S, C),
    StoreSpec("ks-horsham-swan-walk", "kestrel", "K2302", "Kestrel Pharmacy Swan Walk",
              "Swan Walk", "Horsham", "RH12 1HQ", 51.0632, -0.3275, S, C),
    StoreSpec("horsham-electricals", "horsham-electricals", "", "Horsham Electricals",
              "7 Carfax", "Horsham", "RH12 1DW", 51.0641, -0.3262, S, C),
    # Worthing: not in any partnership
    StoreSpec("nw-worthing-montague", "northway", "NW0301", "Northway Worthing Montague Street",
              "80 Montague Street", "Worthing", "BN11 3HL", 50.8115, -0.3745, S, None, 1.3),
    StoreSpec("dl-worthing-south-st", "downland", "DC51", "Downland Co-op South Street",
              "22 South Street", "Worthing", "BN11 3AB", 50.8117, -0.3700, S, None),
    StoreSpec("ks-worthing-goring", "kestrel", "K2401", "Kestrel Pharmacy Goring Road",
              "150 Goring Road", "Worthing", "BN12 4PB", 50.8130, -0.4250, S, None),
    # Oxford
    StoreSpec("nw-oxford-cornmarket", "northway", "NW0501", "Northway Oxford Cornmarket",
              "30 Cornmarket Street", "Oxford", "OX1 3EX", 51.7530, -1.2590, T, O, 2.2),
    StoreSpec("nw-oxford-cowley-rd", "northway", "NW0502", "Northway Cowley Road",
              "118 Cowley Road", "Oxford", "OX4 1JE", 51.7460, -1.2380, T, O, 1.5),
    StoreSpec("nw-oxford-headington", "northway", "NW0503", "Northway Headington",
              "85 London Road", "Oxford", "OX3 7RA", 51.7590, -1.2140, T, O),
    StoreSpec("nw-oxford-templars", "northway", "NW0504", "Northway Templars Square",
              "Templars Square, Cowley", "Oxford", "OX4 3UZ", 51.7320, -1.2130, T, O, 1.6),
    StoreSpec("ks-oxford-cornmarket", "kestrel", "K3101", "Kestrel Pharmacy Cornmarket",
              "12 Cornmarket Street", "Oxford", "OX1 3HA", 51.7526, -1.2585, T, O, 3.2),
    StoreSpec("ks-oxford-summertown", "kestrel", "K3102", "Kestrel Pharmacy Summertown",
              "250 Banbury Road", "Oxford", "OX2 7HN", 51.7760, -1.2640, T, O),
    StoreSpec("st-oxford-westgate", "stride", "SS-031", "Stride Sports Westgate",
              "Westgate Shopping Centre", "Oxford", "OX1 1TR", 51.7505, -1.2600, T, O, 1.5),
    StoreSpec("ch-oxford-botley", "chiltern", "CH-07", "Chiltern Home & DIY Botley Road",
              "Botley Road Retail Park", "Oxford", "OX2 0HA", 51.7520, -1.2780, T, O),
    StoreSpec("cowley-road-grocers", "cowley-road-grocers", "", "Cowley Road Grocers",
              "201 Cowley Road", "Oxford", "OX4 1UT", 51.7448, -1.2330, T, O),
    StoreSpec("jericho-wines", "jericho-wines", "", "Jericho Wines",
              "66 Walton Street", "Oxford", "OX2 6AG", 51.7590, -1.2655, T, O),
    # Reading: not in any partnership
    StoreSpec("nw-reading-broad-st", "northway", "NW0601", "Northway Reading Broad Street",
              "45 Broad Street", "Reading", "RG1 2BH", 51.4560, -0.9730, T, None, 1.8),
    StoreSpec("ks-reading-oracle", "kestrel", "K3201", "Kestrel Pharmacy The Oracle",
              "The Oracle, Bridge Street", "Reading", "RG1 2AG", 51.4540, -0.9690, T, None),
    StoreSpec("st-reading-friar-st", "stride", "SS-040", "Stride Sports Friar Street",
              "60 Friar Street", "Reading", "RG1 1DB", 51.4570, -0.9700, T, None),
    StoreSpec("reading-phone-centre", "reading-phone-centre", "", "Reading Phone Centre",
              "140 Oxford Road", "Reading", "RG1 7LA", 51.4580, -0.9880, T, None),
    StoreSpec("ch-reading-wokingham-rd", "chiltern", "CH-11", "Chiltern Home & DIY Wokingham Road",
              "300 Wokingham Road", "Reading", "RG6 1LH", 51.4470, -0.9440, T, None),
    # Banbury and Bicester: not in any partnership
    StoreSpec("nw-banbury-castle-quay", "northway", "NW0701", "Northway Banbury Castle Quay",
              "Castle Quay Shopping Centre", "Banbury", "OX16 5UN", 52.0620, -1.3390, T, None),
    StoreSpec("ks-banbury-high-st", "kestrel", "K3301", "Kestrel Pharmacy Banbury High Street",
              "27 High Street", "Banbury", "OX16 5JG", 52.0610, -1.3410, T, None),
    StoreSpec("banbury-outdoor", "banbury-outdoor", "", "Banbury Outdoor",
              "9 Bridge Street", "Banbury", "OX16 5PN", 52.0605, -1.3350, T, None),
    StoreSpec("ch-banbury-southam-rd", "chiltern", "CH-15", "Chiltern Home & DIY Southam Road",
              "Southam Road Retail Park", "Banbury", "OX16 2RR", 52.0700, -1.3420, T, None),
    StoreSpec("st-bicester-village", "stride", "SS-052", "Stride Sports Bicester",
              "Pingle Drive", "Bicester", "OX26 6WD", 51.8920, -1.1480, T, None, 1.3),
]


@dataclass(frozen=True)
class AccountSpec:
    email_local: str
    full_name: str
    role: str
    organisation: str
    store: str | None = None


# One account per role with a memorable address, then counterparts so that in each force there are
# store reporters and store managers at two or more retailers.
NAMED_ACCOUNTS: list[AccountSpec] = [
    AccountSpec("reporter", "Priya Shah", "store_reporter", "northway", "nw-brighton-churchill"),
    AccountSpec("manager", "Tom Hughes", "store_manager", "northway", "nw-brighton-churchill"),
    AccountSpec("security", "Dana Okafor", "retail_security_manager", "northway"),
    AccountSpec("partnership", "Helen Marsh", "partnership_manager", BRIGHTON),
    AccountSpec("investigator", "DC Sam Reid", "police_investigator", SUSSEX),
    AccountSpec("supervisor", "DS Claire Winter", "police_supervisor", SUSSEX),
    AccountSpec("analyst", "Ravi Patel", "analyst", OPAL),
    AccountSpec("pcc", "Gareth Lloyd", "pcc_scrutiny", "sussex-pcc"),
    AccountSpec("navigator", "Nia Evans", "navigator", NAVIGATORS),
    AccountSpec("admin", "Alex Morgan", "platform_admin", PLATFORM),
    # Counterparts and colleagues.
    AccountSpec("manager.kestrel-brighton", "Olu Adeyemi", "store_manager", "kestrel", "ks-brighton-north-st"),
    AccountSpec("manager.downland-crawley", "Jo Fletcher", "store_manager", "downland", "dl-crawley-broadfield"),
    AccountSpec("manager.northway-oxford", "Ben Carter", "store_manager", "northway", "nw-oxford-cornmarket"),
    AccountSpec("manager.kestrel-oxford", "Mei Lin", "store_manager", "kestrel", "ks-oxford-cornmarket"),
    AccountSpec("manager.jericho-wines", "Rosa Bianchi", "store_manager", "jericho-wines", "jericho-wines"),
    AccountSpec("security.kestrel", "Marcus Bell", "retail_security_manager", "kestrel"),
    AccountSpec("security.stride", "Leah Walsh", "retail_security_manager", "stride"),
    AccountSpec("security.downland", "Ian Porter", "retail_security_manager", "downland"),
    AccountSpec("security.chiltern", "Fiona Grant", "retail_security_manager", "chiltern"),
    AccountSpec("partnership.crawley", "Kevin Shaw", "partnership_manager", CRAWLEY),
    AccountSpec("partnership.oxford", "Amira Haddad", "partnership_manager", OXFORD),
    AccountSpec("investigator.thames-valley", "DC Owen Price", "police_investigator", THAMES_VALLEY),
    AccountSpec("supervisor.thames-valley", "DS Laura King", "police_supervisor", THAMES_VALLEY),
    AccountSpec("analyst.sussex", "Chris Doyle", "analyst", SUSSEX),
    AccountSpec("pcc.thames-valley", "Ruth Ellis", "pcc_scrutiny", "thames-valley-pcc"),
]

DEMO_DOMAIN = "demo.shopwatch.test"
