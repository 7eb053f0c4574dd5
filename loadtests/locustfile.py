"""By-hand entry point for Locust (``locust -f loadtests/locustfile.py``, distributed runs: README.md).

The locustfile itself is package code, ``validation/load/locustfile.py``, so an installed
ordersync runs it from any directory; importing it here registers its users and listeners.
"""

from validation.load.locustfile import SyncUser

__all__ = ["SyncUser"]
