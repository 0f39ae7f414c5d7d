import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "evqms.settings")
application = get_wsgi_application()

# Objects alive after start-up (Django, the URL map, templates) live as long as the worker: move
# them out of the collector's reach so a full collection cannot stall a request (trace p95).
gc.collect()
gc.freeze()
