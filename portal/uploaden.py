"""The upload wizard in the portal (/uploaden/), for beheerders (schoolsoort and instanties from the
account) and the helpdesk. A logged-in school is never rate-limited on its own uploads."""
from portal.wizard import Kanaal

KANAAL = Kanaal(naam="portal", toegang="beheerder", met_account=True)
