"""Polish names, streets and companies for the demo billing database.

Everything here is pure: functions take the caller's `random.Random` and
return text, so the generator stays deterministic.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

MALE = (
    "Jan", "Stanisław", "Andrzej", "Józef", "Tadeusz", "Jerzy", "Zbigniew", "Krzysztof",
    "Henryk", "Ryszard", "Kazimierz", "Marek", "Marian", "Piotr", "Grzegorz", "Paweł",
    "Łukasz", "Wojciech", "Mirosław", "Bogusław", "Zdzisław", "Jarosław", "Sławomir",
    "Michał", "Tomasz", "Mateusz", "Bartłomiej", "Maciej", "Przemysław", "Leszek",
    "Władysław", "Czesław", "Dariusz", "Mieczysław", "Bogdan", "Adam", "Wiesław",
)
FEMALE = (
    "Anna", "Maria", "Krystyna", "Barbara", "Elżbieta", "Małgorzata", "Jadwiga", "Zofia",
    "Danuta", "Halina", "Irena", "Ewa", "Teresa", "Helena", "Grażyna", "Bożena",
    "Stanisława", "Jolanta", "Urszula", "Wiesława", "Agnieszka", "Katarzyna", "Łucja",
    "Dorota", "Beata", "Żaneta", "Jagoda", "Genowefa", "Władysława", "Renata", "Iwona",
    "Marianna", "Alicja", "Joanna", "Magdalena", "Sylwia",
)
# Male forms; -ski/-cki/-dzki take the feminine -ska/-cka/-dzka.
SURNAMES = (
    "Kowalski", "Wiśniewski", "Lewandowski", "Kamiński", "Zieliński", "Szymański",
    "Dąbrowski", "Kozłowski", "Jankowski", "Wojciechowski", "Kwiatkowski", "Piotrowski",
    "Grabowski", "Pawłowski", "Michalski", "Zalewski", "Jabłoński", "Nowicki", "Majewski",
    "Olszewski", "Malinowski", "Jaworski", "Górski", "Rutkowski", "Czarnecki", "Sawicki",
    "Sokołowski", "Maciejewski", "Szczepański", "Wróblewski", "Kalinowski", "Zawadzki",
    "Chmielewski", "Borkowski", "Czerwiński", "Śliwiński", "Łuczyński", "Żurawski",
    "Nowak", "Wójcik", "Kowalczyk", "Woźniak", "Mazur", "Krawczyk", "Kaczmarek", "Zając",
    "Król", "Wróbel", "Dudek", "Pawlak", "Michalak", "Sikora", "Baran", "Szewczyk",
    "Stępień", "Wieczorek", "Adamczyk", "Dziedzic", "Gołąb", "Kurek", "Łata", "Ślusarczyk",
    "Mróz", "Bąk", "Żak", "Gaweł", "Kłos", "Pietrzak", "Urbański", "Walczak", "Sobczak",
)
STREETS = (
    "ul. Lipowa", "os. Dolnośląskie", "ul. 1 Maja", "os. Okrzei", "ul. Wojska Polskiego",
    "os. Przytorze", "ul. Żeromskiego", "ul. Kościuszki", "ul. Czapliniecka", "os. Binków",
    "ul. Słoneczna", "ul. Łąkowa", "ul. Źródlana", "ul. Częstochowska", "ul. Piłsudskiego",
    "os. Wolności", "ul. Edwardów", "ul. Fabryczna", "ul. Hubala", "ul. Budowlanych",
    "ul. Energetyków", "ul. Mickiewicza", "ul. Sienkiewicza", "ul. Kwiatowa",
    "ul. Ściegiennego", "ul. Włókniarzy", "os. Południe", "ul. Wróblewskiego",
    "ul. Pabianicka", "ul. Bawełniana", "ul. Staszica", "ul. Grota-Roweckiego",
    "ul. Szkolna", "ul. Świętojańska", "os. Dąbrowskiego", "ul. Żwirki i Wigury",
)
GARAGE_STREETS = ("ul. Czapliniecka", "ul. Fabryczna", "ul. Budowlanych", "ul. Łąkowa",
                  "ul. Energetyków", "ul. Edwardów")
OTHER_CITIES = (
    ("Łódź", "90-0"), ("Piotrków Trybunalski", "97-30"), ("Warszawa", "02-6"),
    ("Wrocław", "50-1"), ("Kraków", "31-5"), ("Zelów", "97-42"), ("Kleszczów", "97-41"),
    ("Radomsko", "97-50"), ("Szczerców", "97-42"), ("Poznań", "61-8"),
)
COMPANY_KINDS = (
    "Sklep spożywczy", "Apteka", "Kwiaciarnia", "Zakład fryzjerski", "Biuro rachunkowe",
    "Piekarnia", "Gabinet stomatologiczny", "Salon optyczny", "Księgarnia",
    "Pracownia krawiecka", "Sklep zoologiczny", "Przychodnia", "Szewc - naprawa obuwia",
    "Pralnia", "Kancelaria notarialna",
)
COMPANY_NAMES = (
    "Pod Lipami", "Kłos", "Róża", "Bilans", "Uśmiech", "Źrenica", "Ślimak",
    "Pod Świerkami", "Złoty Kłos", "Łania", "Słoneczko", "Jarzębina", "Bławatek",
    "Żuraw", "Stokrotka", "Ząbek", "Igiełka", "Miś", "Pod Złotym Lwem",
)
COMPANY_FORMS = (" Sp. z o.o.", " s.c.", " Sp. j.", "", " Sp. z o.o.")
MAIL_DOMAINS = ("wp.pl", "o2.pl", "interia.pl", "gmail.com", "onet.pl", "op.pl", "poczta.fm")

_TRANS = str.maketrans("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ„”", "acelnoszzACELNOSZZ  ")


def feminine(surname: str) -> str:
    """The feminine form of a (male-form) surname; parts of a double name each."""
    parts = []
    for part in surname.split("-"):
        if part.endswith(("ski", "cki", "dzki")):
            part = part[:-1] + "a"
        parts.append(part)
    return "-".join(parts)


def ascii_fold(text: str) -> str:
    return text.translate(_TRANS)


def pesel(rng: random.Random, born: date, male: bool) -> str:
    """A PESEL with a valid check digit for the birth date and sex."""
    month = born.month + (20 if born.year >= 2000 else 0)
    serial = rng.randrange(1000)
    sex = rng.choice((1, 3, 5, 7, 9) if male else (0, 2, 4, 6, 8))
    digits = f"{born.year % 100:02d}{month:02d}{born.day:02d}{serial:03d}{sex}"
    weights = (1, 3, 7, 9, 1, 3, 7, 9, 1, 3)
    check = (10 - sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 10) % 10
    return digits + str(check)


def birth_date(rng: random.Random, first_year: int, last_year: int) -> date:
    start = date(first_year, 1, 1)
    return start + timedelta(days=rng.randrange((date(last_year, 12, 31) - start).days))


def phone(rng: random.Random) -> str:
    """Phone numbers the way a legacy program collects them: in many formats."""
    kind = rng.random()
    mobile = f"{rng.choice((5, 6, 7, 8))}{rng.randrange(10, 100)}"
    a, b, c = rng.randrange(100, 1000), rng.randrange(100, 1000), rng.randrange(10, 100)
    if kind < 0.45:
        return f"{mobile} {a} {b}"
    if kind < 0.65:
        return f"+48 {mobile} {a} {b}"
    if kind < 0.75:
        return f"{mobile}{a}{b}"
    if kind < 0.90:
        return f"44 63{rng.randrange(2, 6)} {c:02d} {rng.randrange(10, 100)}"
    return f"(44) 63{rng.randrange(2, 6)}-{c:02d}-{rng.randrange(10, 100)}"


def email(rng: random.Random, first: str, last: str) -> str:
    local = ascii_fold(f"{first}.{last}").lower().replace(" ", "")
    style = rng.random()
    if style < 0.3:
        local = ascii_fold(f"{first[0]}{last}").lower()
    elif style < 0.5:
        local = f"{local}{rng.randrange(1, 99)}"
    return f"{local}@{rng.choice(MAIL_DOMAINS)}"


def other_address(rng: random.Random) -> str:
    city, postal = rng.choice(OTHER_CITIES)
    postal = f"{postal}{rng.randrange(10)}{rng.randrange(10)}"[:6]
    street = rng.choice(STREETS[5:])
    flat = f" m. {rng.randrange(1, 80)}" if rng.random() < 0.7 else ""
    return f"{street} {rng.randrange(1, 120)}{flat}, {postal} {city}"


def company(rng: random.Random) -> str:
    kind = rng.choice(COMPANY_KINDS)
    name = rng.choice(COMPANY_NAMES)
    return f"{kind} „{name}”{rng.choice(COMPANY_FORMS)}"[:120]
