# Read by the flask command in this folder: development settings unless PORTAL_ENV says otherwise.
FLASK_APP=wsgi
PORTAL_ENV=development
