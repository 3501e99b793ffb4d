"""The data.police.uk forces: slug, the name rows carry in "Falls within", and the local authority districts
each territorial force covers (as they appear at the start of an LSOA name, "Adur 001A").

The 44 slugs are the 43 territorial forces of England and Wales plus British Transport Police (``btp``),
which is national and so has no districts. District names include both current names and the older names
that LSOA names carried before local government reorganisations (Aylesbury Vale, Mendip, Allerdale, ...).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Force:
    slug: str
    name: str
    districts: frozenset[str]


def _f(slug: str, name: str, districts: str = "") -> Force:
    return Force(slug, name, frozenset(d.strip() for d in districts.split(";") if d.strip()))


_FORCES = [
    _f(
        "avon-and-somerset",
        "Avon and Somerset Constabulary",
        "Bristol; Bath and North East Somerset; South Gloucestershire; North Somerset; Mendip; Sedgemoor; "
        "Somerset West and Taunton; Taunton Deane; West Somerset; South Somerset; Somerset",
    ),
    _f("bedfordshire", "Bedfordshire Police", "Bedford; Central Bedfordshire; Luton"),
    _f("btp", "British Transport Police"),
    _f(
        "cambridgeshire",
        "Cambridgeshire Constabulary",
        "Cambridge; East Cambridgeshire; Fenland; Huntingdonshire; South Cambridgeshire; Peterborough",
    ),
    _f("cheshire", "Cheshire Constabulary", "Cheshire East; Cheshire West and Chester; Halton; Warrington"),
    _f("city-of-london", "City of London Police", "City of London"),
    _f("cleveland", "Cleveland Police", "Hartlepool; Middlesbrough; Redcar and Cleveland; Stockton-on-Tees"),
    _f(
        "cumbria",
        "Cumbria Constabulary",
        "Allerdale; Barrow-in-Furness; Carlisle; Copeland; Eden; South Lakeland; Cumberland; "
        "Westmorland and Furness",
    ),
    _f(
        "derbyshire",
        "Derbyshire Constabulary",
        "Amber Valley; Bolsover; Chesterfield; Derby; Derbyshire Dales; Erewash; High Peak; "
        "North East Derbyshire; South Derbyshire",
    ),
    _f(
        "devon-and-cornwall",
        "Devon & Cornwall Police",
        "Cornwall; Isles of Scilly; Plymouth; Torbay; East Devon; Exeter; Mid Devon; North Devon; "
        "South Hams; Teignbridge; Torridge; West Devon",
    ),
    _f(
        "dorset",
        "Dorset Police",
        "Bournemouth, Christchurch and Poole; Dorset; Bournemouth; Poole; Christchurch; East Dorset; "
        "North Dorset; Purbeck; West Dorset; Weymouth and Portland",
    ),
    _f("durham", "Durham Constabulary", "County Durham; Darlington"),
    _f("dyfed-powys", "Dyfed-Powys Police", "Carmarthenshire; Ceredigion; Pembrokeshire; Powys"),
    _f(
        "essex",
        "Essex Police",
        "Basildon; Braintree; Brentwood; Castle Point; Chelmsford; Colchester; Epping Forest; Harlow; "
        "Maldon; Rochford; Tendring; Uttlesford; Southend-on-Sea; Thurrock",
    ),
    _f(
        "gloucestershire",
        "Gloucestershire Constabulary",
        "Cheltenham; Cotswold; Forest of Dean; Gloucester; Stroud; Tewkesbury",
    ),
    _f(
        "greater-manchester",
        "Greater Manchester Police",
        "Bolton; Bury; Manchester; Oldham; Rochdale; Salford; Stockport; Tameside; Trafford; Wigan",
    ),
    _f("gwent", "Gwent Police", "Blaenau Gwent; Caerphilly; Monmouthshire; Newport; Torfaen"),
    _f(
        "hampshire",
        "Hampshire Constabulary",
        "Basingstoke and Deane; East Hampshire; Eastleigh; Fareham; Gosport; Hart; Havant; New Forest; "
        "Rushmoor; Test Valley; Winchester; Southampton; Portsmouth; Isle of Wight",
    ),
    _f(
        "hertfordshire",
        "Hertfordshire Constabulary",
        "Broxbourne; Dacorum; East Hertfordshire; Hertsmere; North Hertfordshire; St Albans; Stevenage; "
        "Three Rivers; Watford; Welwyn Hatfield",
    ),
    _f(
        "humberside",
        "Humberside Police",
        "East Riding of Yorkshire; Kingston upon Hull; City of Kingston upon Hull; North East Lincolnshire; "
        "North Lincolnshire",
    ),
    _f(
        "kent",
        "Kent Police",
        "Ashford; Canterbury; Dartford; Dover; Folkestone and Hythe; Shepway; Gravesham; Maidstone; "
        "Sevenoaks; Swale; Thanet; Tonbridge and Malling; Tunbridge Wells; Medway",
    ),
    _f(
        "lancashire",
        "Lancashire Constabulary",
        "Blackburn with Darwen; Blackpool; Burnley; Chorley; Fylde; Hyndburn; Lancaster; Pendle; Preston; "
        "Ribble Valley; Rossendale; South Ribble; West Lancashire; Wyre",
    ),
    _f(
        "leicestershire",
        "Leicestershire Police",
        "Blaby; Charnwood; Harborough; Hinckley and Bosworth; Leicester; Melton; North West Leicestershire; "
        "Oadby and Wigston; Rutland",
    ),
    _f(
        "lincolnshire",
        "Lincolnshire Police",
        "Boston; East Lindsey; Lincoln; North Kesteven; South Holland; South Kesteven; West Lindsey",
    ),
    _f("merseyside", "Merseyside Police", "Knowsley; Liverpool; Sefton; St. Helens; St Helens; Wirral"),
    _f(
        "metropolitan",
        "Metropolitan Police Service",
        "Barking and Dagenham; Barnet; Bexley; Brent; Bromley; Camden; Croydon; Ealing; Enfield; Greenwich; "
        "Hackney; Hammersmith and Fulham; Haringey; Harrow; Havering; Hillingdon; Hounslow; Islington; "
        "Kensington and Chelsea; Kingston upon Thames; Lambeth; Lewisham; Merton; Newham; Redbridge; "
        "Richmond upon Thames; Southwark; Sutton; Tower Hamlets; Waltham Forest; Wandsworth; Westminster",
    ),
    _f(
        "norfolk",
        "Norfolk Constabulary",
        "Breckland; Broadland; Great Yarmouth; King's Lynn and West Norfolk; North Norfolk; Norwich; "
        "South Norfolk",
    ),
    _f(
        "north-wales",
        "North Wales Police",
        "Conwy; Denbighshire; Flintshire; Gwynedd; Isle of Anglesey; Wrexham",
    ),
    _f(
        "north-yorkshire",
        "North Yorkshire Police",
        "Craven; Hambleton; Harrogate; Richmondshire; Ryedale; Scarborough; Selby; York; North Yorkshire",
    ),
    _f(
        "northamptonshire",
        "Northamptonshire Police",
        "North Northamptonshire; West Northamptonshire; Corby; Daventry; East Northamptonshire; Kettering; "
        "Northampton; South Northamptonshire; Wellingborough",
    ),
    _f(
        "northumbria",
        "Northumbria Police",
        "Gateshead; Newcastle upon Tyne; North Tyneside; Northumberland; South Tyneside; Sunderland",
    ),
    _f(
        "nottinghamshire",
        "Nottinghamshire Police",
        "Ashfield; Bassetlaw; Broxtowe; Gedling; Mansfield; Newark and Sherwood; Nottingham; Rushcliffe",
    ),
    _f(
        "south-wales",
        "South Wales Police",
        "Bridgend; Cardiff; Merthyr Tydfil; Neath Port Talbot; Rhondda Cynon Taf; Swansea; Vale of Glamorgan",
    ),
    _f("south-yorkshire", "South Yorkshire Police", "Barnsley; Doncaster; Rotherham; Sheffield"),
    _f(
        "staffordshire",
        "Staffordshire Police",
        "Cannock Chase; East Staffordshire; Lichfield; Newcastle-under-Lyme; South Staffordshire; Stafford; "
        "Staffordshire Moorlands; Stoke-on-Trent; Tamworth",
    ),
    _f(
        "suffolk",
        "Suffolk Constabulary",
        "Babergh; East Suffolk; Ipswich; Mid Suffolk; West Suffolk; Forest Heath; St Edmundsbury; "
        "Suffolk Coastal; Waveney",
    ),
    _f(
        "surrey",
        "Surrey Police",
        "Elmbridge; Epsom and Ewell; Guildford; Mole Valley; Reigate and Banstead; Runnymede; Spelthorne; "
        "Surrey Heath; Tandridge; Waverley; Woking",
    ),
    _f(
        "sussex",
        "Sussex Police",
        "Adur; Arun; Brighton and Hove; Chichester; Crawley; Eastbourne; Hastings; Horsham; Lewes; "
        "Mid Sussex; Rother; Wealden; Worthing",
    ),
    _f(
        "thames-valley",
        "Thames Valley Police",
        "Bracknell Forest; Buckinghamshire; Aylesbury Vale; Chiltern; South Bucks; Wycombe; Cherwell; "
        "Milton Keynes; Oxford; Reading; Slough; South Oxfordshire; Vale of White Horse; West Berkshire; "
        "West Oxfordshire; Windsor and Maidenhead; Wokingham",
    ),
    _f(
        "warwickshire",
        "Warwickshire Police",
        "North Warwickshire; Nuneaton and Bedworth; Rugby; Stratford-on-Avon; Warwick",
    ),
    _f(
        "west-mercia",
        "West Mercia Police",
        "Bromsgrove; Herefordshire; County of Herefordshire; Herefordshire, County of; "
        "Malvern Hills; Redditch; Shropshire; Telford and Wrekin; Worcester; Wychavon; Wyre Forest",
    ),
    _f(
        "west-midlands",
        "West Midlands Police",
        "Birmingham; Coventry; Dudley; Sandwell; Solihull; Walsall; Wolverhampton",
    ),
    _f("west-yorkshire", "West Yorkshire Police", "Bradford; Calderdale; Kirklees; Leeds; Wakefield"),
    _f("wiltshire", "Wiltshire Police", "Swindon; Wiltshire"),
]

FORCES: dict[str, Force] = {f.slug: f for f in _FORCES}
FORCE_SLUGS: tuple[str, ...] = tuple(sorted(FORCES))
NATIONAL_FORCES = frozenset({"btp"})

# District name -> the force whose area it is in.
DISTRICT_FORCE: dict[str, str] = {d: f.slug for f in _FORCES for d in f.districts}


def district_of(lsoa_name: str) -> str:
    """'Brighton and Hove 027E' -> 'Brighton and Hove'."""
    head, _, tail = lsoa_name.strip().rpartition(" ")
    return head if head and tail[:3].isdigit() else lsoa_name.strip()
