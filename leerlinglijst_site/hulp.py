"""The help pages. The page of common errors is generated from the error catalog."""
from dataclasses import dataclass


@dataclass(frozen=True)
class Onderwerp:
    titel: str
    template: str


ONDERWERPEN = {
    "aanleveren": Onderwerp("Hoe lever ik een leerlinglijst aan?", "help/aanleveren.html"),
    "fouten": Onderwerp("Welke fouten komen voor binnen leerlinglijsten?", "help/fouten.html"),
    "toevoegen": Onderwerp("Hoe kan ik leerlingen toevoegen?", "help/toevoegen.html"),
    "elk-jaar": Onderwerp("Moeten leerlingen elk jaar opnieuw aangeleverd worden?", "help/elk_jaar.html"),
}
