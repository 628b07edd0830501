"""Plainly fictional building blocks for the synthetic demo practice.

Surnames are built from roots like "Test" and "Sample" so nobody can mistake a demo record for a real
person; first names are common given names (they carry no identity on their own and make nickname
matching, e.g. Bob/Robert, demonstrable).
"""

from __future__ import annotations

SURNAME_ROOTS = (
    "Test", "Sample", "Example", "Demo", "Mock", "Dummy", "Fiction", "Synth", "Pseudo", "Trial",
    "Proto", "Placeholder", "Madeup", "Notreal", "Fakely", "Specimen", "Draft", "Mockup", "Stub",
    "Imagin",
)  # fmt: skip
SURNAME_ENDINGS = (
    "person", "son", "ton", "ford", "berg", "ski", "wood", "field", "ley", "man", "stein", "worth",
    "more", "ridge", "well", "by", "ham", "ington", "dale", "er",
)  # fmt: skip

FEMALE_FIRST_NAMES = (
    "Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Barbara", "Susan", "Jessica", "Sarah",
    "Karen", "Lisa", "Nancy", "Betty", "Margaret", "Sandra", "Ashley", "Kimberly", "Emily", "Donna",
    "Michelle", "Carol", "Amanda", "Dorothy", "Melissa", "Deborah", "Stephanie", "Rebecca", "Sharon",
    "Laura", "Cynthia", "Kathleen", "Amy", "Angela", "Shirley", "Anna", "Brenda", "Pamela", "Emma",
    "Nicole", "Helen", "Samantha", "Katherine", "Christine", "Debra", "Rachel", "Carolyn", "Janet",
    "Catherine", "Maria", "Heather", "Olivia", "Sophia", "Isabella", "Mia", "Ava", "Camila", "Lucia",
    "Mei", "Priya", "Aaliyah",
)  # fmt: skip
MALE_FIRST_NAMES = (
    "James", "Robert", "John", "Michael", "David", "William", "Richard", "Joseph", "Thomas",
    "Charles", "Christopher", "Daniel", "Matthew", "Anthony", "Mark", "Donald", "Steven", "Paul",
    "Andrew", "Joshua", "Kenneth", "Kevin", "Brian", "George", "Timothy", "Ronald", "Edward", "Jason",
    "Jeffrey", "Ryan", "Jacob", "Gary", "Nicholas", "Eric", "Jonathan", "Stephen", "Larry", "Justin",
    "Scott", "Brandon", "Benjamin", "Samuel", "Gregory", "Alexander", "Patrick", "Frank", "Raymond",
    "Jack", "Dennis", "Jerry", "Liam", "Noah", "Mateo", "Santiago", "Wei", "Arjun", "Omar", "Kwame",
    "Hiroshi", "Luca",
)  # fmt: skip
MIDDLE_INITIAL_NAMES = ("A", "B", "C", "D", "E", "J", "L", "M", "R", "S", "T")
STREET_NAMES = (
    "Sample Street", "Example Avenue", "Test Lane", "Placeholder Road", "Demo Drive",
    "Fiction Boulevard", "Mockingbird Way", "Specimen Court", "Prototype Place", "Draft Terrace",
)  # fmt: skip

# Area codes for the fictional 555-01xx numbers (NANP reserves 555-0100..0199 for fiction in every
# area code). Numbers in these codes spread patients over many distinct phone numbers.
AREA_CODES = tuple(
    code
    for code in range(201, 990)
    if str(code)[1] != "9" and str(code)[1:] != "11" and code not in {555, 370, 960}
)

PROVIDER_SPECIALTIES = (
    ("207Q00000X", "Family Medicine", "MD"),
    ("207R00000X", "Internal Medicine", "MD"),
    ("208000000X", "Pediatrics", "MD"),
    ("207V00000X", "Obstetrics & Gynecology", "DO"),
    ("207RC0000X", "Cardiovascular Disease", "MD"),
    ("207N00000X", "Dermatology", "MD"),
    ("207X00000X", "Orthopaedic Surgery", "MD"),
    ("2084P0800X", "Psychiatry", "MD"),
    ("363LF0000X", "Family Nurse Practitioner", "NP"),
    ("363A00000X", "Physician Assistant", "PA-C"),
    ("207Q00000X", "Family Medicine", "DO"),
    ("207RE0101X", "Endocrinology, Diabetes & Metabolism", "MD"),
)
