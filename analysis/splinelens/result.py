"""The outcome of one claim check: ClaimResult (id, title, status PASS / FAIL / SKIP, value, tolerance,
detail, numbers). The pure checks (checks.py) build them; the claim registry (claims.py) names them."""
import math

PASS, FAIL, SKIP = "PASS", "FAIL", "SKIP"


class ClaimResult:
    """id: "1".."12", "C1".."C6", "CP"; title: set by the claim registry (claims.py) when the check runs on a
    study; value: the measured number the verdict compares with the tolerance (None when nothing was
    measured); tolerance: how it is judged (text); detail: what was measured, in words; data: further
    numbers behind the verdict (a dict, possibly empty)."""

    def __init__(self, cid, status, value=None, tolerance="", detail="", title="", data=None):
        self.id = str(cid)
        self.title = title
        self.status = status
        self.value = None if value is None else float(value)
        self.tolerance = tolerance
        self.detail = detail
        self.data = data or {}

    def as_dict(self):
        return {"id": self.id, "title": self.title, "status": self.status, "value": self.value,
                "tolerance": self.tolerance, "detail": self.detail}

    def __repr__(self):
        return "Claim %s %s: %s (value %s, tol %s) %s" % (self.id, self.title, self.status, self.value,
                                                          self.tolerance, self.detail)

    @property
    def passed(self):
        return self.status == PASS


def skip(cid, why, tol=""):
    """A SKIP: the claim does not apply to what the study holds (why says what is missing)."""
    return ClaimResult(cid, SKIP, None, tol, why)


def verdict(cid, worst, tol, detail, ok=None, data=None):
    """PASS when the worst measured value is within the numeric tolerance (or when ok says so), FAIL otherwise
    and when the value is not computable (NaN)."""
    if worst is None or (isinstance(worst, float) and math.isnan(worst)):
        return ClaimResult(cid, FAIL, worst, "%.3g" % tol, "not computable (NaN): " + detail, data=data)
    ok = (worst <= tol) if ok is None else ok
    return ClaimResult(cid, PASS if ok else FAIL, worst, "%.3g" % tol, detail, data=data)
