"""Licences a release may carry: their names, links, Zenodo ids and (where shipped) full texts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import ConfigError
from .resources import resource


@dataclass(frozen=True)
class License:
    """One licence, by SPDX id."""

    spdx: str
    title: str
    url: str
    zenodo_id: str

    def text(self, *, beside: Path | None = None) -> str:
        """The full text: a ``LICENSE-<SPDX>.txt`` in ``beside`` (the dataset.yaml folder) wins over the shipped one."""
        own = beside / f"LICENSE-{self.spdx}.txt" if beside is not None else None
        if own is not None and own.is_file():
            try:
                text = own.read_text(encoding="utf-8")
            except UnicodeDecodeError as err:
                msg = f"licence file '{own}' is not UTF-8 text (byte {err.start}); save it as UTF-8."
                raise ConfigError(msg, path=own, field="license") from err
            if not text.strip():
                msg = f"licence file '{own}' is empty; paste the full text of {self.spdx} into it, or delete it."
                raise ConfigError(msg, path=own, field="license")
            return text
        shipped = resource("licenses", f"{self.spdx}.txt")
        if shipped.is_file():
            return shipped.read_text(encoding="utf-8")
        where = f"'{own}'" if own is not None else "a file LICENSE-<SPDX>.txt beside your dataset.yaml (see `microe init`)"
        known = sorted(p.name.removesuffix(".txt") for p in resource("licenses").iterdir() if p.name.endswith(".txt"))
        msg = (f"no licence text for '{self.spdx}': save its full text as {where}; the toolkit ships the texts of "
               f"{', '.join(known)} only.")
        raise ConfigError(msg, path=own, field="license")


#: Licences by SPDX id (the dataset licences a FAIR release would use).
LICENSES: dict[str, License] = {lic.spdx: lic for lic in (
    License("CC-BY-4.0", "Creative Commons Attribution 4.0 International",
            "https://creativecommons.org/licenses/by/4.0/", "cc-by-4.0"),
    License("CC-BY-SA-4.0", "Creative Commons Attribution Share Alike 4.0 International",
            "https://creativecommons.org/licenses/by-sa/4.0/", "cc-by-sa-4.0"),
    License("CC-BY-NC-4.0", "Creative Commons Attribution Non Commercial 4.0 International",
            "https://creativecommons.org/licenses/by-nc/4.0/", "cc-by-nc-4.0"),
    License("CC0-1.0", "Creative Commons Zero v1.0 Universal",
            "https://creativecommons.org/publicdomain/zero/1.0/", "cc-zero"),
    License("Apache-2.0", "Apache License 2.0", "https://www.apache.org/licenses/LICENSE-2.0", "apache-2.0"),
    License("MIT", "MIT License", "https://opensource.org/licenses/MIT", "mit"),
)}


def get_license(spdx: str) -> License:
    """Look up a licence by SPDX id (case-insensitive), or raise ConfigError listing the known ones."""
    for key, lic in LICENSES.items():
        if key.lower() == spdx.lower():
            return lic
    msg = f"licence '{spdx}' is not one the toolkit knows; use one of {', '.join(LICENSES)} in dataset.yaml."
    raise ConfigError(msg, field="license")
