"""The public site at /leerlinglijst/: the upload wizard for visitors without an account (the
portal's wizard, registered a second time under the name `site`), and the help pages."""
from leerlinglijst_site.views import hulp, hulp_overzicht
from portal.wizard import Kanaal

KANAAL = Kanaal(naam="publiek", toegang="anoniem", met_account=False,
                extra_routes=(("/hulp/", hulp_overzicht), ("/hulp/<onderwerp>", hulp)))
