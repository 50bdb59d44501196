"""The catalog of findings (../shared/spec/errors.md) as data.

Every finding the validator, the reader or the wizard reports has a stable code from CATALOG.
The help page "Welke fouten komen voor binnen leerlinglijsten?" is generated from CATALOG, so the
page and the validator cannot disagree.

Messages are written so that the row reference can be dropped for the manual-entry form (rij=None):
a row is only ever named as "(rij {rij})" or " in rij {rij}", which `Bevinding.bericht` removes.
"""
from __future__ import annotations

import re
import string
from dataclasses import dataclass, field

BESTAND = 'Bestand'
KOLOMMEN = 'Kolommen'
CEL_EN_RIJ = 'Cel en rij'
SYSTEEM = 'Systeem'
GROEPEN = (BESTAND, KOLOMMEN, CEL_EN_RIJ, SYSTEEM)


@dataclass(frozen=True)
class Foutsoort:
    code: str
    niveau: str          # 'E' (error: the list cannot be sent) or 'W' (warning: it can)
    bericht: str         # Dutch message template; placeholders {rij} {kolom} {letter} {waarde} {max} ...
    oplossing: str       # what to do, one sentence, for the help page
    groep: str           # one of GROEPEN
    # Alternative messages chosen by params['soort'] (file_type_unsupported for .ods).
    varianten: tuple[tuple[str, str], ...] = ()
    # The message as the manual-entry form shows it, where the file's wording (columns, Excel,
    # "kies uit" beside a dropdown) makes no sense; empty: the form shows `bericht` without the row.
    formulier: str = ''


def _f(code, niveau, groep, bericht, oplossing, formulier='', **varianten) -> Foutsoort:
    return Foutsoort(code, niveau, bericht, oplossing, groep, tuple(varianten.items()), formulier)


_ALLE = [
    # --- Bestand -------------------------------------------------------------------------------
    _f('file_missing', 'E', BESTAND,
       'Kies een bestand om te uploaden.',
       'Kies bij Leerlingbestand het bestand op uw computer en klik op Opsturen.'),
    _f('file_too_large', 'E', BESTAND,
       'Het bestand is te groot (maximaal {max} MB). Verdeel de lijst over meer bestanden.',
       'Verdeel de leerlingen over meer bestanden of verwijder lege werkbladen en afbeeldingen.',
       te_veel_cellen='Het werkblad is te groot om te controleren: het bevat meer dan {max_cellen} cellen. '
                      'Een leerlinglijst heeft hooguit {max_rijen} leerlingen met de kolommen van het format. '
                      'Verwijder kolommen en rijen die niet bij de lijst horen, of kopieer de leerlingen '
                      'naar het format uit stap 3.'),
    _f('file_type_xls', 'E', BESTAND,
       'Dit is een oud Excel-bestand (.xls). Open het in Excel en kies Opslaan als → Excel-werkmap (.xlsx).',
       'Open het bestand in Excel en kies Opslaan als → Excel-werkmap (.xlsx).'),
    _f('file_encrypted', 'E', BESTAND,
       'Het bestand is met een wachtwoord beveiligd. Haal de beveiliging eraf en sla het opnieuw op.',
       'Open het bestand, haal het wachtwoord weg (Bestand → Info → Werkmap beveiligen) en sla het opnieuw op.'),
    _f('file_type_unsupported', 'E', BESTAND,
       'Dit bestandstype wordt niet ondersteund. Gebruik het Excel-format uit stap 3 (.xlsx) of een .csv-bestand.',
       'Gebruik het Excel-format uit stap 3 (.xlsx) of sla de lijst op als .csv-bestand.',
       ods='Dit is een OpenDocument-werkblad (.ods), dat wordt niet ondersteund. '
           'Sla het op als Excel-werkmap (.xlsx): kies Opslaan als → Excel 2007-365 (.xlsx).'),
    _f('file_macros', 'E', BESTAND,
       "Bestanden met macro's worden niet geaccepteerd. Sla het bestand op als Excel-werkmap (.xlsx) zonder macro's.",
       "Kies in Excel Opslaan als → Excel-werkmap (.xlsx); de macro's worden dan weggelaten."),
    _f('file_strict_ooxml', 'E', BESTAND,
       "Dit bestand is opgeslagen als 'Strict Open XML'. Sla het op als gewone Excel-werkmap (.xlsx).",
       'Kies in Excel Opslaan als → Excel-werkmap (.xlsx) in plaats van Strict Open XML-werkblad.'),
    _f('file_unsafe', 'E', BESTAND,
       'Het bestand is uitgepakt te groot of op een ongeldige manier opgebouwd en wordt niet gelezen. '
       'Sla de lijst opnieuw op als Excel-werkmap (.xlsx) of gebruik het format uit stap 3.',
       'Kopieer de leerlingen naar het format uit stap 3 en sla dat op als Excel-werkmap (.xlsx).'),
    _f('file_corrupt', 'E', BESTAND,
       'Het bestand kan niet worden gelezen; het is beschadigd of geen echt Excel-bestand. '
       'Open het in Excel en sla het opnieuw op als Excel-werkmap (.xlsx).',
       'Open het bestand in Excel en sla het opnieuw op als Excel-werkmap (.xlsx).',
       cel_te_lang='Het bestand wordt niet gelezen: cel {cel} bevat meer dan {max} tekens, meer dan Excel in '
                   'één cel kan bewaren. Maak de tekst in die cel korter, of controleer of u het goede bestand '
                   'kiest.',
       waarde_te_lang='Het bestand wordt niet gelezen: er staat een waarde in van meer dan {max} tekens, meer dan '
                      'Excel in één cel kan bewaren. Zoek die waarde op en maak hem korter, of controleer of u '
                      'het goede bestand kiest.',
       verre_cel='Het werkblad heeft inhoud ver buiten de lijst, in cel {cel} (een lijst loopt hooguit tot '
                 'kolom {max_kolom} en rij {max_rij}). Verwijder die cel: selecteer hem (typ {cel} in het '
                 'naamvak linksboven), kies Verwijderen en sla het bestand opnieuw op.'),
    _f('file_empty', 'E', BESTAND,
       'Het bestand is leeg. Vul de leerlingen in het format uit stap 3 in.',
       'Controleer of u het goede bestand kiest en of het opgeslagen is met de leerlingen erin.'),
    _f('multiple_sheets', 'E', BESTAND,
       'Het bestand heeft meerdere werkbladen met gegevens ({bladen}). Zet alle leerlingen op het blad Leerlingen.',
       'Zet alle leerlingen op één werkblad met de naam Leerlingen, of verwijder de andere werkbladen.'),
    _f('too_many_rows', 'E', BESTAND,
       'Het bestand bevat {aantal} leerlingen; het maximum is {max}. Verdeel de lijst over meer bestanden.',
       'Verdeel de leerlingen over meer bestanden en stuur die apart op.'),
    _f('merged_cells', 'E', BESTAND,
       'Het werkblad heeft samengevoegde cellen ({waarde}); maak het samenvoegen ongedaan.',
       'Selecteer het hele werkblad en kies Samenvoegen en centreren → Samenvoegen van cellen opheffen.'),
    _f('no_data_rows', 'E', BESTAND,
       'Het bestand bevat geen leerlingen, alleen kolomtitels. Vul vanaf rij 2 één leerling per rij in.',
       'Vul vanaf rij 2 één leerling per rij in, onder de kolomtitels.'),
    _f('empty_rows_skipped', 'W', BESTAND,
       '{aantal} lege rijen zijn overgeslagen.',
       'U hoeft niets te doen; lege rijen tussen de leerlingen worden overgeslagen.'),
    _f('hidden_rows_included', 'W', BESTAND,
       '{aantal} verborgen of weggefilterde rijen zijn ook meegenomen; controleer of die leerlingen op de lijst horen.',
       'Maak verborgen rijen zichtbaar en zet het filter uit; verwijder rijen die niet op de lijst horen.'),
    _f('duplicate_header_row', 'E', BESTAND,
       'Rij {rij} bevat opnieuw de kolomtitels; verwijder deze rij.',
       'Laat de kolomtitels alleen in rij 1 staan; verwijder herhaalde titelrijen.'),
    # --- Kolommen ------------------------------------------------------------------------------
    _f('header_not_in_first_row', 'E', KOLOMMEN,
       'De kolomtitels moeten in rij 1 staan, maar staan in rij {rij}; verwijder de regels erboven.',
       'Verwijder de regels boven de kolomtitels, zodat de titels in rij 1 staan.'),
    _f('wrong_format', 'E', KOLOMMEN,
       'Dit bestand heeft de kolommen van het format {gevonden}, maar u koos {gekozen}. '
       'Kies de goede soort leerlingen of download het format {gekozen} in stap 3.',
       'Kies in stap 1 en 2 de schoolsoort en soort leerlingen die bij het bestand passen, '
       'of gebruik het format dat bij uw keuze hoort.'),
    _f('format_outdated', 'W', KOLOMMEN,
       'Dit bestand is gemaakt met een oudere versie van het format {format}; download de volgende keer het nieuwe format in stap 3.',
       'Download bij de volgende lijst het nieuwste format in stap 3.'),
    _f('header_missing', 'E', KOLOMMEN,
       'De kolom {kolom} ontbreekt. Voeg een kolom toe met precies de titel {kolom}.',
       'Voeg de ontbrekende kolom toe met precies de titel uit het format; de kolom mag leeg zijn als hij niet verplicht is.'),
    _f('header_renamed', 'E', KOLOMMEN,
       'De kolomtitel {waarde} (kolom {letter}) is anders dan in het format; bedoelde u {kolom}? Gebruik precies die titel.',
       'Gebruik precies de kolomtitels van het format; hoofdletters en spaties eromheen maken niet uit.'),
    _f('header_unknown', 'E', KOLOMMEN,
       'De kolom {waarde} (kolom {letter}) hoort niet in dit format; verwijder deze kolom.',
       'Verwijder kolommen die niet in het format staan.'),
    _f('header_duplicate', 'E', KOLOMMEN,
       'De kolom {kolom} staat er meer dan één keer in (kolom {letter}); verwijder de dubbele kolom.',
       'Laat elke kolom één keer voorkomen.'),
    _f('data_outside_columns', 'E', KOLOMMEN,
       'Er staan gegevens in kolom {letter} (rij {rij}), maar die kolom heeft geen titel. '
       'Verwijder die gegevens of zet ze in de goede kolom.',
       'Zet alle gegevens onder een kolomtitel van het format en verwijder losse waarden ernaast.'),
    # --- Cel en rij ----------------------------------------------------------------------------
    _f('required', 'E', CEL_EN_RIJ,
       '{kolom} is verplicht (rij {rij}); vul het in.',
       'Vul de verplichte kolom in; in het format staan de verplichte kolommen in de Toelichting.',
       formulier='{kolom} is verplicht; {invullen}.'),
    _f('too_long', 'E', CEL_EN_RIJ,
       '{kolom} is te lang (maximaal {max} tekens) (rij {rij}); maak de waarde korter.',
       'Kort de waarde in tot het maximum aantal tekens.'),
    _f('invalid_characters', 'E', CEL_EN_RIJ,
       '{kolom} bevat tekens die niet zijn toegestaan: {tekens} (rij {rij}).',
       'Haal de cijfers of leestekens weg; in namen mogen letters, spaties, koppeltekens, punten en apostrofs.',
       formule='{kolom} {waarde} begint met {tekens} (rij {rij}); Excel kan zo\'n waarde als formule uitvoeren. '
               'Haal het teken aan het begin weg, of schrijf de waarde anders (bijvoorbeeld zonder dat teken '
               'vooraan).'),
    _f('formula_without_value', 'E', CEL_EN_RIJ,
       '{kolom} bevat een formule zonder opgeslagen waarde (rij {rij}); kopieer de kolom en plak als waarden.',
       'Kopieer de kolom en kies Plakken speciaal → Waarden, en sla het bestand op in Excel.',
       formule='{kolom} bevat een formule (rij {rij}); een leerlinglijst mag alleen waarden bevatten. '
               'Kopieer de kolom en kies Plakken speciaal → Waarden.',
       formule_titel='Het bestand wordt niet gelezen: de kolomtitels bevatten formules, in cel {cellen}. '
                     'Typ de titels zelf in, of kopieer ze en kies Plakken speciaal → Waarden.'),
    _f('cell_error_value', 'E', CEL_EN_RIJ,
       '{kolom} bevat een Excel-foutwaarde ({waarde}) (rij {rij}); vul de echte waarde in.',
       'Herstel de formule of vul de waarde zelf in.'),
    _f('unexpected_date_value', 'E', CEL_EN_RIJ,
       'Excel heeft {kolom} omgezet naar een datum ({waarde}) (rij {rij}). '
       'Maak de kolom op als Tekst en vul de waarde opnieuw in.',
       'Maak de kolom op als Tekst (Celeigenschappen → Tekst) en typ de waarden opnieuw.',
       formulier='{kolom} is als datum ingevuld ({waarde}); vul de waarde opnieuw in.'),
    _f('number_not_whole', 'E', CEL_EN_RIJ,
       '{kolom} is een getal met decimalen ({waarde}) (rij {rij}); vul het nummer als tekst in.',
       'Maak de kolom op als Tekst en typ het nummer opnieuw, zonder komma.',
       formulier='{kolom} is een getal met decimalen ({waarde}); vul het nummer zonder komma in.'),
    _f('identifier_missing', 'E', CEL_EN_RIJ,
       'Vul een BSN of een onderwijsnummer in (rij {rij}).',
       'Vul voor elke leerling het BSN in, of het onderwijsnummer als de leerling geen BSN heeft.',
       formulier='Vul het BSN in, of het onderwijsnummer als de leerling geen BSN heeft.'),
    _f('bsn_and_onderwijsnummer', 'W', CEL_EN_RIJ,
       'Zowel BSN als onderwijsnummer ingevuld (rij {rij}); het BSN wordt gebruikt.',
       'Vul alleen het BSN in; het onderwijsnummer is alleen nodig als er geen BSN is.'),
    _f('bsn_scientific_notation', 'E', CEL_EN_RIJ,
       'Het BSN is door Excel als getal met E+ opgeslagen ({waarde}) (rij {rij}); er zijn cijfers verloren. '
       'Maak de kolom op als Tekst en vul het BSN opnieuw in.',
       'Maak de kolom BSN op als Tekst en typ of plak de BSN\'s opnieuw.',
       formulier='Een BSN bestaat uit 9 cijfers, zonder E+ of komma; vul het volledige BSN in.'),
    _f('bsn_format', 'E', CEL_EN_RIJ,
       'Een BSN bestaat alleen uit cijfers (rij {rij}).',
       'Vul het BSN in als 9 cijfers, zonder letters of andere tekens.'),
    _f('bsn_length', 'E', CEL_EN_RIJ,
       'Een BSN heeft 9 cijfers; hier staan er {aantal} (rij {rij}).',
       'Vul het BSN in als 9 cijfers; controleer of er geen cijfer ontbreekt of te veel is.'),
    _f('bsn_checksum', 'E', CEL_EN_RIJ,
       'Het BSN {waarde} bestaat niet: het voldoet niet aan de elfproef (rij {rij}). Controleer het nummer.',
       'Controleer het BSN in de leerlingadministratie; waarschijnlijk is er een cijfer verkeerd overgenomen.'),
    _f('bsn_is_onderwijsnummer', 'E', CEL_EN_RIJ,
       'Er staat een onderwijsnummer in de kolom BSN (rij {rij}); zet het in de kolom Onderwijsnummer.',
       'Zet onderwijsnummers (die beginnen met 10) in de kolom Onderwijsnummer.',
       formulier='Dit is een onderwijsnummer (het begint met 10); vul het in bij Onderwijsnummer en laat BSN leeg.'),
    _f('bsn_leading_zero_restored', 'W', CEL_EN_RIJ,
       'Het BSN had 8 cijfers (rij {rij}); er is een 0 voor gezet ({waarde}).',
       'Maak de kolom BSN op als Tekst, zodat Excel de 0 aan het begin bewaart.',
       formulier='Het BSN had 8 cijfers; er is een 0 voor gezet ({waarde}). Controleer of dat klopt.'),
    _f('onderwijsnummer_format', 'E', CEL_EN_RIJ,
       'Een onderwijsnummer heeft 9 cijfers en begint met 10 (rij {rij}).',
       'Vul het onderwijsnummer in als 9 cijfers die beginnen met 10.'),
    _f('onderwijsnummer_checksum', 'E', CEL_EN_RIJ,
       'Het onderwijsnummer {waarde} bestaat niet; het controlegetal klopt niet (rij {rij}). '
       'Controleer het nummer.',
       'Controleer het onderwijsnummer in de leerlingadministratie.'),
    _f('onderwijsnummer_is_bsn', 'E', CEL_EN_RIJ,
       'Er staat een BSN in de kolom Onderwijsnummer (rij {rij}); zet het in de kolom BSN.',
       'Zet BSN\'s in de kolom BSN; de kolom Onderwijsnummer is voor leerlingen zonder BSN.',
       formulier='Dit is een BSN; vul het in bij BSN en laat Onderwijsnummer leeg.'),
    _f('duplicate_leerlingnummer', 'E', CEL_EN_RIJ,
       'Leerlingnummer {waarde} in rij {rij} staat ook in rij {eerste_rij}; elk leerlingnummer mag één keer voorkomen.',
       'Zorg dat elke leerling één keer op de lijst staat, met een eigen leerlingnummer.'),
    _f('duplicate_bsn', 'E', CEL_EN_RIJ,
       'Het BSN in rij {rij} staat ook in rij {eerste_rij}; elke leerling mag één keer voorkomen.',
       'Verwijder de dubbele leerling of verbeter het BSN.'),
    _f('duplicate_onderwijsnummer', 'E', CEL_EN_RIJ,
       'Het onderwijsnummer in rij {rij} staat ook in rij {eerste_rij}; elke leerling mag één keer voorkomen.',
       'Verwijder de dubbele leerling of verbeter het onderwijsnummer.'),
    _f('possible_duplicate_person', 'W', CEL_EN_RIJ,
       'Deze leerling lijkt dezelfde als die in rij {andere_rij} (zelfde naam en geboortedatum) (rij {rij}); '
       'controleer of de leerling dubbel op de lijst staat.',
       'Controleer of de leerling twee keer op de lijst staat; zo niet, dan hoeft u niets te doen.'),
    _f('voorletters_format', 'E', CEL_EN_RIJ,
       'Schrijf voorletters als hoofdletters met punten, bijvoorbeeld J.H. (rij {rij}).',
       'Schrijf voorletters als hoofdletters met een punt erachter, zoals J.H. of IJ.'),
    _f('tussenvoegsel_in_achternaam', 'W', CEL_EN_RIJ,
       'De achternaam {waarde} begint met een tussenvoegsel (rij {rij}); zet dat in de kolom Tussenvoegsel.',
       'Zet tussenvoegsels als "van der" in de kolom Tussenvoegsel en de rest in Achternaam.',
       formulier='De achternaam {waarde} begint met een tussenvoegsel; vul dat in bij Tussenvoegsel.'),
    _f('tussenvoegsel_unknown', 'W', CEL_EN_RIJ,
       'Tussenvoegsel {waarde} is onbekend (rij {rij}); controleer de spelling.',
       'Controleer de spelling van het tussenvoegsel, bijvoorbeeld van, de, van der.'),
    _f('geslacht_invalid', 'E', CEL_EN_RIJ,
       'Geslacht is M (man), V (vrouw) of O (onbekend/anders); {waarde} is niet bekend (rij {rij}).',
       'Vul M, V of O in.',
       formulier='Kies bij Geslacht M (man), V (vrouw) of O (onbekend of anders).'),
    _f('date_invalid', 'E', CEL_EN_RIJ,
       '{kolom} {waarde} is geen geldige datum (rij {rij}); gebruik dd-mm-jjjj, bijvoorbeeld 03-05-2010.',
       'Vul datums in als dd-mm-jjjj, bijvoorbeeld 03-05-2010.'),
    _f('date_two_digit_year', 'E', CEL_EN_RIJ,
       'Gebruik een jaartal van 4 cijfers in {kolom} ({waarde}) (rij {rij}).',
       'Vul het jaartal voluit in, bijvoorbeeld 03-05-2010 in plaats van 03-05-10.'),
    _f('date_serial_converted', 'W', CEL_EN_RIJ,
       '{kolom} stond als getal ({waarde}) en is gelezen als {datum} (rij {rij}); controleer dit.',
       'Maak de kolom op als datum (dd-mm-jjjj) en controleer de datums.'),
    _f('date_in_future', 'E', CEL_EN_RIJ,
       'De geboortedatum {waarde} ligt in de toekomst (rij {rij}); controleer het jaartal.',
       'Controleer de geboortedatum; misschien zijn dag, maand of jaar verwisseld.'),
    _f('date_implausible', 'E', CEL_EN_RIJ,
       'De geboortedatum {waarde} kan niet kloppen (rij {rij}); controleer het jaartal.',
       'Controleer de geboortedatum; een leerling is minstens 4 jaar oud en geboren na 1900.'),
    _f('age_unusual', 'W', CEL_EN_RIJ,
       'Een leeftijd van {leeftijd} jaar is ongebruikelijk voor {schoolsoort} (rij {rij}); controleer de geboortedatum.',
       'Controleer de geboortedatum; klopt die, dan hoeft u niets te doen.'),
    _f('postcode_format', 'E', CEL_EN_RIJ,
       'Postcode {waarde} is ongeldig (rij {rij}); gebruik 4 cijfers en 2 letters, bijvoorbeeld 1234 AB. '
       'Laat het veld leeg bij een buitenlands adres.',
       'Vul een Nederlandse postcode in als 1234 AB; laat het veld leeg bij een buitenlands adres.'),
    _f('postcode_missing', 'W', CEL_EN_RIJ,
       'Er is geen postcode ingevuld (rij {rij}); de woonregio kan niet worden bepaald.',
       'Vul de postcode in als die bekend is; bij een buitenlands adres blijft het veld leeg.'),
    _f('phone_invalid', 'E', CEL_EN_RIJ,
       'Telefoonnummer {waarde} is ongeldig (rij {rij}); vul het in als bijvoorbeeld 06-12345678.',
       'Vul één telefoonnummer in, bijvoorbeeld 06-12345678 of +32 470 12 34 56.',
       mobiel_reeks='Telefoonnummer {waarde} bestaat niet (rij {rij}): geen Nederlands mobiel nummer begint met '
                    '{begin}; mobiele nummers beginnen met 06-1 t/m 06-5 of 06-8. Controleer het nummer.'),
    _f('phone_multiple', 'E', CEL_EN_RIJ,
       'Vul één telefoonnummer in (rij {rij}).',
       'Laat per leerling één telefoonnummer staan.'),
    _f('email_invalid', 'E', CEL_EN_RIJ,
       'E-mailadres {waarde} is ongeldig (rij {rij}); vul één adres in als naam@voorbeeld.nl, of laat het leeg.',
       'Vul een volledig e-mailadres in, zoals naam@voorbeeld.nl.'),
    _f('email_multiple', 'E', CEL_EN_RIJ,
       'Vul één e-mailadres in (rij {rij}).',
       'Laat per leerling één e-mailadres staan.'),
    _f('leerjaar_invalid', 'E', CEL_EN_RIJ,
       'Leerjaar is een heel getal, bijvoorbeeld 4; {waarde} kan niet (rij {rij}).',
       'Vul het leerjaar in als heel getal, zonder letters of decimalen.'),
    _f('leerjaar_out_of_range', 'E', CEL_EN_RIJ,
       'Leerjaar {waarde} bestaat niet voor {niveau} (toegestaan {min} t/m {max}) (rij {rij}).',
       'Controleer het leerjaar en het onderwijsniveau.'),
    _f('onderwijsniveau_invalid', 'E', CEL_EN_RIJ,
       'Onbekend onderwijsniveau {waarde} (rij {rij}); kies uit {lijst}.',
       'Kies een onderwijsniveau uit de lijst in het format.',
       formulier='Kies een onderwijsniveau uit de lijst.'),
    _f('brugklas_niveau_leerjaar', 'E', CEL_EN_RIJ,
       'Een combinatie als {waarde} kan alleen in leerjaar 1 of 2 (rij {rij}).',
       'Vul vanaf leerjaar 3 één onderwijsniveau in, bijvoorbeeld HAVO in plaats van HAVO/VWO.'),
    _f('overstapper_not_exam_year', 'W', CEL_EN_RIJ,
       'Deze leerling zit niet in het examenjaar ({niveau} {leerjaar}) (rij {rij}); is dit een potentiële overstapper?',
       'Controleer of de leerling bij de potentiële overstappers hoort.'),
    _f('niet_overstapper_exam_year', 'W', CEL_EN_RIJ,
       'Deze leerling zit in het examenjaar ({niveau} {leerjaar}) (rij {rij}); hoort deze leerling bij de potentiële overstappers?',
       'Controleer of de leerling bij de niet-overstappers hoort.'),
    _f('crebo_format', 'E', CEL_EN_RIJ,
       'Een crebocode bestaat uit 5 cijfers (rij {rij}).',
       'Vul de crebocode van de opleiding in, 5 cijfers, bijvoorbeeld 25187.'),
    _f('mbo_niveau_invalid', 'E', CEL_EN_RIJ,
       'Niveau is 1 (Entree), 2, 3 of 4 (rij {rij}).',
       'Vul het niveau in als 1, 2, 3 of 4.',
       formulier='Kies bij Niveau 1 (Entree), 2, 3 of 4.'),
    _f('leerweg_invalid', 'E', CEL_EN_RIJ,
       'Leerweg is BOL of BBL (rij {rij}).',
       'Vul BOL of BBL in.',
       formulier='Kies bij Leerweg BOL of BBL.'),
    _f('cohort_invalid', 'E', CEL_EN_RIJ,
       'Cohort is een jaartal, bijvoorbeeld 2024 of 2024-2025 (rij {rij}).',
       'Vul het startjaar van de opleiding in, bijvoorbeeld 2024.'),
    _f('cohort_out_of_range', 'E', CEL_EN_RIJ,
       'Cohort {waarde} is niet mogelijk (rij {rij}); het cohort ligt tussen 2010 en {max}.',
       'Controleer het cohort; dat is het jaar waarin de leerling met de opleiding begon.'),
    _f('mbo_leerjaar_high', 'W', CEL_EN_RIJ,
       'Leerjaar {waarde} is hoog voor een mbo-opleiding (rij {rij}); controleer dit.',
       'Controleer het leerjaar; klopt het, dan hoeft u niets te doen.'),
    _f('einddatum_before_birth', 'E', CEL_EN_RIJ,
       'De verwachte einddatum ligt voor de geboortedatum (rij {rij}); controleer beide datums.',
       'Controleer de verwachte einddatum en de geboortedatum.'),
    _f('einddatum_in_past', 'W', CEL_EN_RIJ,
       'De verwachte einddatum {waarde} ligt in het verleden (rij {rij}); vul de datum in waarop de '
       'leerling de opleiding naar verwachting afrondt.',
       'Controleer de verwachte einddatum; klopt die, dan hoeft u niets te doen.'),
    _f('vervolgwens_invalid', 'E', CEL_EN_RIJ,
       'Onbekende vervolgwens {waarde} (rij {rij}); kies uit {lijst}.',
       'Kies een vervolgwens uit de lijst in het format.',
       formulier='Kies een vervolgwens uit de lijst, of laat het veld leeg.'),
    # --- Systeem -------------------------------------------------------------------------------
    _f('duplicate_submission', 'W', SYSTEEM,
       'Dit bestand is al eerder opgestuurd op {datum} (kenmerk {kenmerk}).',
       'Controleer of u dezelfde lijst niet twee keer opstuurt.'),
    _f('already_registered', 'W', SYSTEEM,
       'Leerling {leerlingnummer} is al bekend bij deze instantie; bij verwerken wordt die leerling bijgewerkt.',
       'U hoeft niets te doen; de gegevens van de leerling worden bijgewerkt.'),
    _f('registered_elsewhere', 'W', SYSTEEM,
       'Dit BSN is ook bekend bij een andere instantie.',
       'De helpdesk neemt contact op als dat nodig is.'),
]

CATALOG: dict[str, Foutsoort] = {f.code: f for f in _ALLE}
assert len(CATALOG) == len(_ALLE), 'duplicate code in the catalog'

_ZONDER_RIJ = re.compile(r' ?\(rij \{rij\}\)| in rij \{rij\}')


class _Ontbrekend(dict):
    """Leave an unknown placeholder out rather than fail: a message must never crash a page."""
    def __missing__(self, key):
        return ''


_FORMATTER = string.Formatter()


@dataclass
class Bevinding:
    """One finding: a code from CATALOG and where it is (rij as Excel shows it, kolom title)."""
    code: str
    rij: int | None = None
    kolom: str | None = None
    waarde: str | None = None
    letter: str | None = None
    params: dict = field(default_factory=dict)

    @property
    def soort(self) -> Foutsoort:
        return CATALOG[self.code]

    @property
    def niveau(self) -> str:
        return CATALOG[self.code].niveau

    @property
    def is_fout(self) -> bool:
        return CATALOG[self.code].niveau == 'E'

    @property
    def cel(self) -> str | None:
        if self.letter and self.rij:
            return f'{self.letter}{self.rij}'
        return None

    @property
    def bericht(self) -> str:
        soort = CATALOG[self.code]
        sjabloon = soort.bericht
        variant = self.params.get('soort')
        for naam, tekst in soort.varianten:
            if naam == variant:
                sjabloon = tekst
        if self.rij is None:
            sjabloon = _ZONDER_RIJ.sub('', sjabloon)
        return self._invullen(sjabloon)

    def formulier_bericht(self, **extra) -> str:
        """The message for the manual-entry form: the catalog's form variant where it has one
        (`extra` fills what only the form knows, such as {invullen}), else the message without row."""
        sjabloon = CATALOG[self.code].formulier
        if not sjabloon:
            return Bevinding(self.code, None, self.kolom, self.waarde, self.letter, self.params).bericht
        return self._invullen(sjabloon, extra)

    def _invullen(self, sjabloon, extra=None) -> str:
        waarden = _Ontbrekend(self.params)
        waarden.update(extra or {})
        waarden.update(rij=self.rij, kolom=self.kolom, letter=self.letter,
                       waarde=self.waarde if self.waarde is not None else '')
        for k, v in list(waarden.items()):
            if v is None:
                waarden[k] = ''
        return _FORMATTER.vformat(sjabloon, (), waarden)

    def to_dict(self) -> dict:
        return {'code': self.code, 'row': self.rij, 'column': self.kolom,
                'value': self.waarde, 'message': self.bericht}

    def __str__(self) -> str:
        return self.bericht


def groepen() -> dict[str, list[Foutsoort]]:
    """The catalog per group, in catalog order, for the generated help page."""
    uit: dict[str, list[Foutsoort]] = {g: [] for g in GROEPEN}
    for f in _ALLE:
        uit[f.groep].append(f)
    return uit
