"""The CORS policy of the API: only the origins the operator names are answered.

The origins come from ``PLEIADES_CORS_ORIGINS`` (comma- or space-separated, e.g.
``https://maps.example.be,https://qgis.example.be``), the environment variable
channel of every other ``PLEIADES_*`` setting, read once when the portal starts.
Unset or empty, no origin is answered: browsers then refuse every cross-origin
call, and a preflight gets no ``Access-Control-Allow-*`` header.

An answered origin gets ``Access-Control-Allow-Origin`` for itself with
credentials, so a web application there may call the API with a token or the
portal's cookie. ``*`` is refused: with credentials it would let every site act
as the user.
"""

from plone.rest.cors import CORSPolicy

import os
import re


ENVIRONMENT_VARIABLE = "PLEIADES_CORS_ORIGINS"
# scheme://host[:port], as a browser sends it in the Origin header.
ORIGIN = re.compile(
    r"https?://[a-z0-9.-]+(:[0-9]{1,5})?|https?://\[[0-9a-f:.]+\](:[0-9]{1,5})?"
)


def parse_origins(text: str) -> list[str]:
    """The origins of a comma- or space-separated list.

    :param text: e.g. ``"https://maps.example.be, http://localhost:3000"``.
    :returns: the origins, in lower case, without duplicates.
    :raises ValueError: for anything that is not scheme://host[:port].
    """
    origins = []
    for item in re.split(r"[,\s]+", text.strip()):
        if not item:
            continue
        origin = item.lower()
        if not ORIGIN.fullmatch(origin):
            raise ValueError(
                f"{ENVIRONMENT_VARIABLE}: {item!r} is not an origin; give "
                "scheme://host[:port] without a path or a trailing slash, e.g. "
                "https://maps.example.be (and never *: the API answers with "
                "credentials)"
            )
        if origin not in origins:
            origins.append(origin)
    return origins


def origins_from_environment(environ=os.environ) -> list[str]:
    """The allowed origins the operator set, or none."""
    return parse_origins(environ.get(ENVIRONMENT_VARIABLE, ""))


class ConfiguredCORSPolicy(CORSPolicy):
    """plone.rest's policy, answering the configured origins with credentials."""

    allow_origin = origins_from_environment()  # at start-up: a bad value stops it
    allow_credentials = True
    allow_methods = ["DELETE", "GET", "OPTIONS", "PATCH", "POST", "PUT"]
    allow_headers = ["Accept", "Authorization", "Content-Type", "Prefer"]
    expose_headers = ["Content-Length", "Content-Range", "Location"]
    max_age = "3600"

    def process_simple_request(self) -> bool:
        self._vary_on_origin()
        return super().process_simple_request()

    def process_preflight_request(self) -> bool:
        self._vary_on_origin()
        return super().process_preflight_request()

    def _vary_on_origin(self) -> None:
        # The answer depends on the Origin header, allowed or not: caches must
        # not give one origin's answer to another (plone.rest says so only when
        # several origins are configured).
        self.request.response.appendHeader("Vary", "Origin")

    def _allowed_origin(self) -> str | bool:
        # plone.rest compares the header as sent: origins are case-insensitive.
        origin = (self.request.getHeader("Origin", None) or "").lower()
        return origin if origin and origin in self.allow_origin else False
