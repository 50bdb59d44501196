"""The public site's wizard: the same steps as the portal's, for visitors without an account."""
from leerlinglijst_site import bp
from portal import wizard

wizard.register(bp, "publiek")
