"""Common US English given-name nicknames, used by both the search box and the duplicate check.

Each group lists a formal name first, then the short forms people register under ("Bob" for Robert,
"Peggy" for Margaret). A short form may belong to more than one formal name ("Al": Albert, Alan,
Alfred, Alexander), so lookups answer sets. All values are ``normalize.name_key`` form.
"""

from __future__ import annotations

from functools import lru_cache

# formal name -> its common nicknames (about 150 formal/nickname pairs across the groups)
_GROUPS: dict[str, tuple[str, ...]] = {
    "abigail": ("abby", "gail"),
    "albert": ("al", "bert", "bertie"),
    "alan": ("al",),
    "alexander": ("alex", "al", "sandy", "xander"),
    "alexandra": ("alex", "sandy", "lexi", "alexa"),
    "alfred": ("al", "fred", "freddie"),
    "andrew": ("andy", "drew"),
    "anthony": ("tony",),
    "barbara": ("barb", "babs", "barbie"),
    "benjamin": ("ben", "benny", "benji"),
    "bradley": ("brad",),
    "catherine": ("cathy", "kate", "katie", "cat", "kathy"),
    "katherine": ("kathy", "kate", "katie", "kat", "kitty"),
    "kathleen": ("kathy", "kate"),
    "charles": ("charlie", "chuck", "chas", "chip"),
    "christina": ("chris", "tina", "christy"),
    "christine": ("chris", "tina", "chrissy"),
    "christopher": ("chris", "kit", "topher"),
    "cynthia": ("cindy",),
    "daniel": ("dan", "danny"),
    "david": ("dave", "davey"),
    "deborah": ("deb", "debbie", "debby"),
    "donald": ("don", "donnie"),
    "dorothy": ("dot", "dottie", "dolly"),
    "douglas": ("doug",),
    "edward": ("ed", "eddie", "ted", "ned"),
    "elizabeth": ("liz", "beth", "betty", "betsy", "eliza", "lisa", "libby", "liza", "lizzie"),
    "eugene": ("gene",),
    "frances": ("fran", "frannie"),
    "francis": ("frank", "fran"),
    "franklin": ("frank",),
    "frederick": ("fred", "freddie", "rick"),
    "gerald": ("gerry", "jerry"),
    "gregory": ("greg",),
    "harold": ("hal", "harry"),
    "henry": ("hank", "harry"),
    "jacob": ("jake",),
    "james": ("jim", "jimmy", "jamie"),
    "janet": ("jan",),
    "jeffrey": ("jeff",),
    "jennifer": ("jen", "jenny", "jenn"),
    "jessica": ("jess", "jessie"),
    "john": ("jack", "johnny", "jon"),
    "jonathan": ("jon", "jonny"),
    "joseph": ("joe", "joey"),
    "joshua": ("josh",),
    "judith": ("judy",),
    "kenneth": ("ken", "kenny"),
    "lawrence": ("larry",),
    "leonard": ("leo", "len", "lenny"),
    "margaret": ("peggy", "maggie", "meg", "marge", "margie", "greta", "daisy"),
    "matthew": ("matt",),
    "michael": ("mike", "mikey", "mick"),
    "nathaniel": ("nate", "nat"),
    "nicholas": ("nick", "nicky"),
    "patricia": ("pat", "patty", "trish", "tricia"),
    "patrick": ("pat", "paddy"),
    "peter": ("pete",),
    "philip": ("phil",),
    "phillip": ("phil",),
    "raymond": ("ray",),
    "rebecca": ("becky", "becca"),
    "richard": ("rick", "dick", "rich", "richie", "ricky"),
    "robert": ("bob", "bobby", "rob", "robbie", "bert"),
    "ronald": ("ron", "ronnie"),
    "samantha": ("sam", "sammy"),
    "samuel": ("sam", "sammy"),
    "stephen": ("steve", "stevie"),
    "steven": ("steve", "stevie"),
    "susan": ("sue", "susie", "suzy"),
    "suzanne": ("sue", "suzy"),
    "theodore": ("ted", "teddy", "theo"),
    "thomas": ("tom", "tommy"),
    "timothy": ("tim", "timmy"),
    "victoria": ("vicky", "tori"),
    "walter": ("walt", "wally"),
    "william": ("bill", "billy", "will", "willie", "liam"),
    "zachary": ("zach", "zack"),
    "virginia": ("ginny", "ginger"),
    "helen": ("nell", "nellie"),
    "eleanor": ("ellie", "nora", "nell"),
    "mary": ("molly", "polly", "mae"),
    "sarah": ("sally", "sadie"),
    "ann": ("annie", "nan", "nancy"),
    "anne": ("annie", "nan"),
    "louise": ("lou", "lulu"),
    "louis": ("lou",),
    "teresa": ("terry", "tess", "tessa"),
    "theresa": ("terry", "tess", "tessa"),
    "pamela": ("pam",),
    "kimberly": ("kim",),
    "sandra": ("sandy",),
    "valerie": ("val",),
    "vincent": ("vince", "vinny"),
    "gwendolyn": ("gwen", "wendy"),
}


@lru_cache(maxsize=1)
def _index() -> dict[str, frozenset[str]]:
    """Map every name (formal or short) to the formal names it belongs to."""
    index: dict[str, set[str]] = {}
    for formal, shorts in _GROUPS.items():
        index.setdefault(formal, set()).add(formal)
        for short in shorts:
            index.setdefault(short, set()).add(formal)
    return {name: frozenset(formals) for name, formals in index.items()}


def formal_names(name: str) -> frozenset[str]:
    """The formal names ``name`` is (or is a nickname of); empty when it is in no group."""
    return _index().get(name, frozenset())


def variants(name: str) -> frozenset[str]:
    """Every name that may refer to the same person as ``name``, including ``name`` itself.

    'bob' -> {'bob', 'robert', 'bobby', 'rob', 'robbie', 'bert'}. Not transitive beyond one formal
    name: 'bert' reaches Robert's and Albert's groups, but 'bob' does not reach 'albert'.
    """
    result = {name}
    for formal in formal_names(name):
        result.add(formal)
        result.update(_GROUPS[formal])
    return frozenset(result)


def nickname_link(first: str, second: str) -> str | None:
    """The formal name that makes ``first`` and ``second`` the same given name, or None.

    Both arguments are name keys. Identical names are not a nickname link (the caller reports those
    as "same first name").
    """
    if not first or not second or first == second:
        return None
    shared = formal_names(first) & formal_names(second)
    if not shared:
        return None
    return min(shared)


def pair_count() -> int:
    """How many formal/nickname pairs the table holds (documentation and tests)."""
    return sum(len(shorts) for shorts in _GROUPS.values())
