"""PET activity concentration (Bq/ml) to body-weight SUV (SUVbw).

``SUVbw = C(Bq/ml) * weight(g) / D(Bq)``, where ``D`` is the injected dose
(RadionuclideTotalDose) decayed from the injection time to the time the image values refer to.

Which time the image values refer to (``DecayCorrection``, PET Series module)
-----------------------------------------------------------------------------
``START``
    Values are decay corrected to the start of the acquisition, so the dose is decayed to the
    *series reference time*: SeriesDate/SeriesTime. Some scanners rewrite SeriesTime when a series
    is post-processed or re-saved; when SeriesDate/Time is later than the earliest
    AcquisitionDate/Time of the series, we use that earliest acquisition time instead (the rule of
    the QIBA vendor-neutral SUV pseudo-code and of most open implementations). Without Series and
    Acquisition times the conversion is refused.
``ADMIN``
    Values are decay corrected to the administration time: the dose needs no decay.
``NONE``
    Values are not decay corrected: each slice uses the dose decayed to its own
    AcquisitionDate/Time.

The injection time is RadiopharmaceuticalStartDateTime when present, otherwise
RadiopharmaceuticalStartTime on the reference date; when that lands after the reference time the
scan crossed midnight and the injection is taken to be on the previous day.

A weight passed by the caller (``weight_kg=``, CLI ``--pet-weight``) overrides PatientWeight, so
that a wrong or missing header weight can be fixed without editing files.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from collections.abc import Sequence

from rnpc_radiomics.errors import PetError

__all__ = [
    "suv_factor",
    "series_suv_factors",
    "decayed_dose",
    "injection_datetime",
    "reference_datetime",
    "parse_dicom_datetime",
    "SuvParameters",
]

_HINT_RAW = "load with suv=False to keep the stored units"


class SuvParameters(dict):
    """The numbers behind an SUV conversion (kept in ``Volume.meta['suv']``)."""


def _parse_time(tm: str) -> _dt.time | None:
    """DICOM TM (``HHMMSS.FFFFFF``, also the old ``HH:MM:SS`` form) to a time."""
    s = str(tm or "").strip().replace(":", "")
    if not s:
        return None
    m = re.fullmatch(r"(\d{2})(\d{2})?(\d{2})?(?:\.(\d{1,6}))?", s)
    if not m:
        return None
    hh, mm, ss, frac = m.groups()
    micro = int((frac or "0").ljust(6, "0")[:6])
    try:
        return _dt.time(int(hh), int(mm or 0), min(int(ss or 0), 59), micro)
    except ValueError:
        return None


def _parse_date(da: str) -> _dt.date | None:
    s = str(da or "").strip().replace(".", "").replace("-", "")
    if not re.fullmatch(r"\d{8}", s):
        return None
    try:
        return _dt.date(int(s[:4]), int(s[4:6]), int(s[6:8]))
    except ValueError:
        return None


def parse_dicom_datetime(date: str | None = None, time: str | None = None,
                         dt: str | None = None) -> _dt.datetime | None:
    """A naive :class:`datetime.datetime` from DICOM DA + TM strings or one DT string.

    The UTC offset suffix of a DT (``&ZZXX``) is ignored: every time of one PET study is written
    by the same scanner clock. Returns None when the strings are empty or malformed.
    """
    if dt:
        s = re.split(r"[+-]", str(dt).strip(), maxsplit=1)[0]
        d = _parse_date(s[:8])
        if d is None:
            return None
        t = _parse_time(s[8:]) if len(s) > 8 else _dt.time(0, 0)
        return None if t is None else _dt.datetime.combine(d, t)
    d = _parse_date(date) if date else None
    t = _parse_time(time) if time else None
    if d is None or t is None:
        return None
    return _dt.datetime.combine(d, t)


def _path_of(ds, path):
    if path is not None:
        return path
    return getattr(ds, "filename", None) if isinstance(getattr(ds, "filename", None), str) else None


def _radiopharm(ds, path):
    seq = ds.get("RadiopharmaceuticalInformationSequence")
    if not seq:
        raise PetError("PET file has no RadiopharmaceuticalInformationSequence", path,
                       "the injected dose and time are needed for SUV", _HINT_RAW)
    return seq[0]


def _acquisition_datetime(ds) -> _dt.datetime | None:
    return (parse_dicom_datetime(dt=ds.get("AcquisitionDateTime"))
            or parse_dicom_datetime(ds.get("AcquisitionDate") or ds.get("SeriesDate"),
                                    ds.get("AcquisitionTime")))


def reference_datetime(datasets: Sequence, *, path=None) -> _dt.datetime:
    """Series reference time for ``DecayCorrection START`` (see the module docstring)."""
    ds0 = datasets[0]
    series = parse_dicom_datetime(ds0.get("SeriesDate"), ds0.get("SeriesTime"))
    acqs = [a for a in (_acquisition_datetime(d) for d in datasets) if a is not None]
    earliest = min(acqs) if acqs else None
    if series is None and earliest is None:
        raise PetError("PET series has no SeriesDate/SeriesTime or AcquisitionDate/Time",
                       _path_of(ds0, path), "the decay-correction reference time is unknown",
                       _HINT_RAW)
    if series is None:
        return earliest
    if earliest is not None and series > earliest:
        return earliest
    return series


def injection_datetime(ds, reference: _dt.datetime, *, path=None) -> _dt.datetime:
    """Injection (radiopharmaceutical start) time, dated relative to ``reference``."""
    item = _radiopharm(ds, path)
    inj = parse_dicom_datetime(dt=item.get("RadiopharmaceuticalStartDateTime"))
    if inj is not None:
        return inj
    t = _parse_time(item.get("RadiopharmaceuticalStartTime"))
    if t is None:
        raise PetError("PET file has no RadiopharmaceuticalStartDateTime/StartTime",
                       _path_of(ds, path), "the injection time is needed for decay correction",
                       _HINT_RAW)
    inj = _dt.datetime.combine(reference.date(), t)
    if inj > reference:
        # Injected before midnight, scanned after it.
        inj -= _dt.timedelta(days=1)
    return inj


def _dose_and_half_life(ds, path) -> tuple[float, float]:
    item = _radiopharm(ds, path)
    try:
        dose = float(item.get("RadionuclideTotalDose") or 0.0)
        half_life = float(item.get("RadionuclideHalfLife") or 0.0)
    except (TypeError, ValueError) as exc:
        raise PetError("PET file has an unreadable dose or half-life", path, str(exc),
                       _HINT_RAW) from None
    if not dose > 0:
        raise PetError("PET file has no RadionuclideTotalDose", path,
                       "the injected dose (Bq) is needed for SUV", _HINT_RAW)
    if not half_life > 0:
        raise PetError("PET file has no RadionuclideHalfLife", path,
                       "the half-life (s) is needed for decay correction", _HINT_RAW)
    return dose, half_life


def decayed_dose(dose_bq: float, half_life_s: float, seconds: float) -> float:
    """``dose * 2 ** (-seconds / half_life)``: the activity left after ``seconds``."""
    return float(dose_bq) * math.exp(-math.log(2.0) * float(seconds) / float(half_life_s))


def _weight_g(ds, weight_kg, path) -> float:
    if weight_kg is not None:
        w = float(weight_kg)
        if not (w > 0 and math.isfinite(w)):
            raise PetError("invalid PET patient weight", path,
                           f"pet_weight_kg must be a positive number of kg, got {weight_kg!r}",
                           "pass the weight in kg, e.g. pet_weight_kg=72.5")
        return 1000.0 * w
    try:
        w = float(ds.get("PatientWeight") or 0.0)
    except (TypeError, ValueError):
        w = 0.0
    if not (w > 0 and math.isfinite(w)):
        raise PetError("PET file has no PatientWeight", path,
                       "the body weight is needed for SUVbw",
                       "pass pet_weight_kg= (CLI --pet-weight KG), or load with suv=False "
                       "to keep Bq/ml")
    return 1000.0 * w


def _check_units(ds, path) -> None:
    units = str(ds.get("Units", "") or "").strip().upper()
    if units != "BQML":
        raise PetError("PET units are not BQML", path,
                       f"Units is {units or 'missing'!r}; SUVbw needs activity concentration "
                       "in Bq/ml", _HINT_RAW)


def series_suv_factors(datasets: Sequence, *, weight_kg: float | None = None,
                       path=None) -> tuple[list[float], SuvParameters]:
    """SUVbw factor of each slice of one PET series (multiply Bq/ml by it).

    Parameters
    ----------
    datasets : sequence of pydicom.Dataset
        The series' slices in slice order (headers are enough).
    weight_kg : float, optional
        Overrides PatientWeight.
    path : str, optional
        Named in error messages (defaults to the first dataset's file name).

    Returns
    -------
    factors : list of float
        One factor per dataset (all equal unless DecayCorrection is NONE).
    params : SuvParameters
        ``weight_kg``, ``injected_dose_bq``, ``half_life_s``, ``decay_correction``,
        ``injection_time``, ``reference_time`` (ISO strings), ``decay_s``.

    Raises
    ------
    PetError
        Units not BQML, missing weight/dose/half-life/times, injection after the scan.
    """
    if not datasets:
        raise ValueError("no datasets")
    ds0 = datasets[0]
    path = _path_of(ds0, path)
    _check_units(ds0, path)
    weight_g = _weight_g(ds0, weight_kg, path)
    dose, half_life = _dose_and_half_life(ds0, path)
    corr = str(ds0.get("DecayCorrection", "") or "").strip().upper()
    params = SuvParameters(weight_kg=weight_g / 1000.0, injected_dose_bq=dose,
                           half_life_s=half_life, decay_correction=corr)
    if corr == "ADMIN":
        params.update(decay_s=0.0)
        return [weight_g / dose] * len(datasets), params
    if corr == "START":
        ref = reference_datetime(datasets, path=path)
        refs = [ref] * len(datasets)
    elif corr == "NONE":
        refs = []
        for d in datasets:
            a = _acquisition_datetime(d)
            if a is None:
                raise PetError("PET slice has no AcquisitionTime", _path_of(d, path),
                               "DecayCorrection NONE needs each slice's acquisition time",
                               _HINT_RAW)
            refs.append(a)
        ref = min(refs)
    else:
        raise PetError("PET DecayCorrection not understood", path,
                       f"expected START, ADMIN or NONE, got {corr or 'missing'!r}", _HINT_RAW)
    inj = injection_datetime(ds0, ref, path=path)
    factors = []
    for r in refs:
        seconds = (r - inj).total_seconds()
        if seconds < 0:
            raise PetError("PET injection time is after the scan", path,
                           f"injection {inj.isoformat()} > reference {r.isoformat()}",
                           "check RadiopharmaceuticalStartDateTime, or pass suv=False")
        factors.append(weight_g / decayed_dose(dose, half_life, seconds))
    params.update(injection_time=inj.isoformat(), reference_time=ref.isoformat(),
                  decay_s=(ref - inj).total_seconds())
    return factors, params


def suv_factor(ds, *, weight_kg: float | None = None, path=None) -> float:
    """SUVbw factor for one PET dataset (a single slice or a multi-frame file).

    For ``DecayCorrection START`` the reference is this dataset's Series/Acquisition time (see
    the module docstring); use :func:`series_suv_factors` for a whole series, where the earliest
    acquisition time of all slices matters.

    Parameters
    ----------
    ds : pydicom.Dataset
        PET header.
    weight_kg : float, optional
        Overrides PatientWeight.
    path : str, optional
        Named in error messages.

    Returns
    -------
    float
        ``weight(g) / decayed dose(Bq)``; multiply Bq/ml by it to get SUVbw.
    """
    factors, _ = series_suv_factors([ds], weight_kg=weight_kg, path=path)
    return factors[0]
