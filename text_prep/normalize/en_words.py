"""English word tables for normalisation: abbreviations, months, weekdays, US states, street types,
time zones, and Roman numerals."""
from __future__ import annotations

from text_prep.normalize.rules import compiled

# Written with a trailing period; read as the word (case-sensitive keys).
ABBREVIATIONS: dict[str, str] = {
    "Mr.": "Mister", "Mrs.": "Missus", "Ms.": "Miz", "Dr.": "Doctor", "Prof.": "Professor",
    "Mt.": "Mount", "Ft.": "Fort", "Hon.": "Honorable", "Maj.": "Major", "Rev.": "Reverend",
    "Gen.": "General", "Col.": "Colonel", "Capt.": "Captain", "Lt.": "Lieutenant", "Sgt.": "Sergeant",
    "Cpl.": "Corporal", "Gov.": "Governor", "Sen.": "Senator", "Rep.": "Representative", "Pres.": "President",
    "Supt.": "Superintendent", "Jr.": "Junior", "Sr.": "Senior", "Co.": "company", "Inc.": "incorporated",
    "Ltd.": "limited", "Corp.": "corporation", "Bros.": "brothers", "Dept.": "department", "Univ.": "university",
    "vs.": "versus", "etc.": "et cetera", "e.g.": "for example", "i.e.": "that is", "approx.": "approximately",
    "Ph.D.": "P H D", "a.k.a.": "A K A", "Messrs.": "Messieurs", "Mme.": "Madame", "Mlle.": "Mademoiselle",
}
# Read as the word only right before a number ("No. 5" -> "number 5").
NUMBER_PREFIXES: dict[str, str] = {
    "No": "number", "Nos": "numbers", "no": "number", "p": "page", "pp": "pages", "Fig": "figure",
    "fig": "figure", "Vol": "volume", "vol": "volume", "Ch": "chapter", "ch": "chapter", "Sec": "section",
    "Art": "article", "Ex": "exhibit", "Eq": "equation",
}
MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)
# Case-insensitive pattern of month names and abbreviations ("jan", "Sept").
MONTH_PATTERN = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
AMBIGUOUS_MONTHS = frozenset({"may", "march", "mar"})  # lower-case, these are usually other words
WEEKDAYS: dict[str, str] = {
    "Mon": "Monday", "Tue": "Tuesday", "Tues": "Tuesday", "Wed": "Wednesday", "Thu": "Thursday",
    "Thur": "Thursday", "Thurs": "Thursday", "Fri": "Friday", "Sat": "Saturday", "Sun": "Sunday",
}
STATES: dict[str, str] = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California", "CO": "Colorado",
    "CT": "Connecticut", "DE": "Delaware", "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho",
    "IL": "Illinois", "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana",
    "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota",
    "MS": "Mississippi", "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada",
    "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York", "NC": "North Carolina",
    "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon", "PA": "Pennsylvania",
    "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota", "TN": "Tennessee", "TX": "Texas",
    "UT": "Utah", "VT": "Vermont", "VA": "Virginia", "WA": "Washington", "WV": "West Virginia",
    "WI": "Wisconsin", "WY": "Wyoming", "DC": "D C",
}
# Codes that are also common words or titles: expanded only when a ZIP code follows.
AMBIGUOUS_STATES = frozenset({"AL", "CO", "DE", "HI", "ID", "IN", "LA", "MA", "MD", "ME", "MS", "OH", "OK", "OR"})
STREET_TYPES: dict[str, str] = {
    "Ave": "Avenue", "Blvd": "Boulevard", "Expy": "Expressway", "Pkwy": "Parkway", "Hwy": "Highway",
    "Rd": "Road", "Ln": "Lane", "Ct": "Court", "Sq": "Square", "Fwy": "Freeway",
}
TIME_ZONES = ("EST", "EDT", "CST", "CDT", "MST", "MDT", "PST", "PDT", "GMT", "UTC", "BST", "CET", "CEST", "JST")
# Words after which a Roman numeral is a plain number ("World War II", "Chapter IV").
ROMAN_COUNTERS = (
    "War", "Chapter", "Part", "Book", "Volume", "Act", "Scene", "Section", "Phase", "Stage", "Round",
    "Level", "Episode", "Article", "Appendix", "Canto", "Psalm", "Type", "Class", "Grade", "Vatican",
)
# Regnal names after which it is an ordinal ("Henry VIII" -> "Henry the eighth").
ROMAN_RULERS = (
    "Henry", "Louis", "Elizabeth", "George", "Edward", "Charles", "Richard", "William", "James", "John",
    "Pius", "Benedict", "Gregory", "Leo", "Innocent", "Clement", "Napoleon", "Peter", "Philip", "Frederick",
    "Ramesses", "Ramses", "Catherine", "Mary", "Alexander", "Nicholas", "Ivan", "Otto", "Friedrich",
    "Wilhelm", "Ludwig", "Alfonso", "Ferdinand", "Victor", "Gustav", "Olaf", "Harald", "Christian", "Paul",
)
ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
VALID_ROMAN = r"M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})"


def roman_value(numeral: str) -> int | None:
    """The value of a well-formed Roman numeral ("XIV" -> 14), or None."""
    if not numeral or not compiled(VALID_ROMAN).fullmatch(numeral):
        return None
    total = 0
    for here, after in zip(numeral, numeral[1:] + " "):
        value = ROMAN_VALUES[here]
        total += -value if after != " " and ROMAN_VALUES[after] > value else value
    return total
