"""Validation issues, collected (never just the first) with a path to where each one is."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    """How bad an issue is: errors fail validation; warnings only with ``--strict``."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True, kw_only=True)
class Issue:
    """One problem found in a release.

    Attributes
    ----------
    code : str
        A stable short name (``checksum-mismatch``), for scripts.
    where : str
        Context path, e.g. ``data/train-00000-of-00001.parquet > row 41 > label``.
    message : str
        What is wrong, with the expected and the found value.
    fix : str
        How to fix it.
    """

    severity: Severity
    code: str
    where: str
    message: str
    fix: str = ""

    def to_dict(self) -> dict[str, str]:
        """JSON form."""
        return {**asdict(self), "severity": self.severity.value}


@dataclass
class ValidationReport:
    """Every issue of one release, plus the checks run and the FAIR self-assessment."""

    release: str
    issues: list[Issue] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    fair: list[dict[str, str]] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)

    def error(self, code: str, where: str, message: str, fix: str = "") -> None:
        """Record an error."""
        self.issues.append(Issue(severity=Severity.ERROR, code=code, where=where, message=message, fix=fix))

    def warning(self, code: str, where: str, message: str, fix: str = "") -> None:
        """Record a warning."""
        self.issues.append(Issue(severity=Severity.WARNING, code=code, where=where, message=message, fix=fix))

    def sorted_issues(self) -> list[Issue]:
        """Errors first, then by place and code."""
        return sorted(self.issues, key=lambda i: (i.severity != Severity.ERROR, i.where, i.code, i.message))

    def errors(self, *, strict: bool = False) -> list[Issue]:
        """The issues that fail validation (warnings too when ``strict``)."""
        return [i for i in self.issues if strict or i.severity == Severity.ERROR]

    def is_clean(self, *, strict: bool = False) -> bool:
        """True when nothing fails validation."""
        return not self.errors(strict=strict)

    def to_dict(self) -> dict[str, Any]:
        """JSON form of the whole report."""
        return {"release": self.release, "valid": self.is_clean(),
                "errors": sum(i.severity == Severity.ERROR for i in self.issues),
                "warnings": sum(i.severity == Severity.WARNING for i in self.issues),
                "issues": [i.to_dict() for i in self.sorted_issues()], "checks": self.checks,
                "fair": self.fair, "stats": self.stats}

    def to_text(self, *, strict: bool = False) -> str:
        """The table ``microe validate`` prints: issues with their fixes, the FAIR rows, a verdict line."""
        lines = []
        issues = self.sorted_issues()
        if issues:
            lines.append(f"{'severity':8}  {'where':58}  problem / fix")
            for issue in issues:
                lines.append(f"{issue.severity.value:8}  {issue.where:58}  {issue.message}")
                if issue.fix:
                    lines.append(f"{'':8}  {'':58}  fix: {issue.fix}")
        lines.append("\nFAIR self-assessment (F-UJI metrics):")
        lines += [f"  {row['metric']:13} {row['status']:27} {row['name']}" for row in self.fair]
        errors = len(self.errors(strict=strict))
        warnings = len(self.issues) - len(self.errors())
        verdict = "valid" if not errors else "INVALID"
        lines.append(f"\n{self.release}: {verdict}, {errors} error(s), {warnings} warning(s), "
                     f"{self.stats.get('images', 0)} images, checks: {', '.join(self.checks)}")
        return "\n".join(lines)
