"""One-click fixes (issue 13, point 2): found only where the right value is certain, per kind with
a count, and applying them never changes what the check reads, except the tussenvoegsel split."""
import datetime as dt

from portal.lijsten.formats import format_voor
from portal.lijsten.herstel import toepassen, zoek
from portal.lijsten.reader import read_sheet
from portal.lijsten.validate import check_sheet
from tests.builders import VANDAAG, leerlingen, make_xlsx, titel

FMT = format_voor("VO", "overstapper")


def bsn_met_voorloopnul():
    """A valid BSN that starts with 0 (11-proef), generated."""
    for n in range(10_000_000, 99_999_999):
        s = f"0{n}"
        if sum(int(c) * w for c, w in zip(s, (9, 8, 7, 6, 5, 4, 3, 2, -1))) % 11 == 0:
            return s


def lijst(wijzig):
    rijen = leerlingen(FMT, 8, seed=5)
    for i, veld, waarde in wijzig:
        rijen[i][titel(FMT, veld)] = waarde
    return read_sheet(make_xlsx(FMT, rijen))


def gevonden(sheet):
    return {s.code: [(h.rij, h.kolom, h.oud, h.nieuw) for h in s.herstellingen] for s in zoek(sheet, FMT)}


def test_each_kind_is_found_with_row_column_old_and_new():
    bsn = bsn_met_voorloopnul()
    sheet = lijst([(0, "bsn", int(bsn)), (1, "telefoonnummer", 612345678), (2, "geboortedatum", "2010-03-15"),
                   (3, "achternaam", "van der Berg"), (3, "tussenvoegsel", None), (4, "geslacht", "m"),
                   (5, "postcode", "1234ab"), (6, "voornaam", " Emma\u200b")])
    assert gevonden(sheet) == {
        "bsn_voorloopnul": [(2, "BSN", int(bsn), bsn)],
        "telefoon_voorloopnul": [(3, "Telefoonnummer", 612345678, "0612345678")],
        "datum_als_tekst": [(4, "Geboortedatum", "2010-03-15", "15-03-2010")],
        "tussenvoegsel_in_achternaam": [(5, "Tussenvoegsel", "", "van der"), (5, "Achternaam", "van der Berg", "Berg")],
        "code_schrijfwijze": [(6, "Geslacht", "m", "M"), (7, "Postcode", "1234ab", "1234 AB")],
        "spaties": [(8, "Voornaam", " Emma\u200b", "Emma")],
    }
    labels = [s.label for s in zoek(sheet, FMT)]
    assert "1 achternaam met het tussenvoegsel erin" in labels and "2 codes in een andere schrijfwijze" in labels


def test_never_a_guess():
    sheet = lijst([(0, "geboortedatum", "05/03/2010"),      # 5 March or 3 May
                   (1, "geboortedatum", "15-03-10"),        # no century for a two-digit year
                   (2, "achternaam", "Van Dijk"),           # a Flemish surname keeps its Van
                   (3, "bsn", 12345678),                    # with a zero it fails the 11-proef
                   (4, "telefoonnummer", 12345678),         # 8 digits: not a Dutch number lacking its 0
                   (5, "geslacht", "q")])                   # no code: for the user, not for a fix
    assert gevonden(sheet) == {}


def test_a_date_with_one_reading_is_fixed_whatever_its_separator():
    sheet = lijst([(0, "geboortedatum", "15/03/2010"), (1, "geboortedatum", "3 maart 2010"),
                   (2, "geboortedatum", "05.03.2010"), (3, "geboortedatum", "03/03/2010")])
    assert [n for _, _, _, n in gevonden(sheet)["datum_als_tekst"]] == ["15-03-2010", "03-03-2010", "05-03-2010", "03-03-2010"]


def test_applying_the_fixes_keeps_every_value_and_clears_their_warnings():
    bsn = bsn_met_voorloopnul()
    sheet = lijst([(0, "bsn", int(bsn)), (1, "telefoonnummer", 612345678), (2, "geboortedatum", "2010-03-15"),
                   (3, "achternaam", "van der Berg"), (3, "tussenvoegsel", None), (4, "geslacht", "m")])
    voor = check_sheet(sheet, FMT, vandaag=VANDAAG)
    alle = [h for s in zoek(sheet, FMT) for h in s.herstellingen]
    na = check_sheet(toepassen(sheet, alle), FMT, vandaag=VANDAAG)
    assert {b.code for b in voor.waarschuwingen} >= {"bsn_leading_zero_restored", "tussenvoegsel_in_achternaam"}
    assert not {b.code for b in na.waarschuwingen} & {"bsn_leading_zero_restored", "tussenvoegsel_in_achternaam"}
    assert na.ok
    for a, b in zip(voor.leerlingen, na.leerlingen):
        if a["rij"] == 5:
            assert (b["tussenvoegsel"], b["achternaam"]) == ("van der", "Berg")
            a = {**a, "tussenvoegsel": "van der", "achternaam": "Berg"}
        assert a == b
    assert na.leerlingen[2]["geboortedatum"] == dt.date(2010, 3, 15)
    assert zoek(toepassen(sheet, alle), FMT) == []
