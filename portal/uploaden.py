"""The upload wizard in the portal, for beheerders (schoolsoort from the role) and the helpdesk."""
from flask import Blueprint

from portal import wizard

bp = Blueprint("uploaden", __name__, url_prefix="/uploaden")
wizard.register(bp, "portal")
