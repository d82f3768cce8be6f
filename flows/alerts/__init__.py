"""Alerting: where alerts go (destinations), what they say (render), and sending them (deliver)."""

from flows.alerts.deliver import DeliveryOutcome, send
from flows.alerts.destinations import CONSOLE, AlertConfigError, Destination, load_destinations, routes
from flows.alerts.render import AlertView, RenderedAlert, render

__all__ = [
    "CONSOLE", "AlertConfigError", "AlertView", "DeliveryOutcome", "Destination", "RenderedAlert",
    "load_destinations", "render", "routes", "send",
]
