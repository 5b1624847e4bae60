"""CONTRACT.md §3 on hand-computed cases (the samples' records and more)."""

import pytest

from app.services.tariffs import Group, Tariff, price


def _tariff(*groups, connect="0", bundle=True):
    return Tariff(
        groups=tuple(
            Group(start, int(float(p) * 10**6 + 0.5), per, inc) for start, p, per, inc in groups
        ),
        connect_fee=int(float(connect) * 10**4 + 0.5),
        bundle=bundle,
        currency="EUR",
    )


MOBILE_PEAK = _tariff((0, "0.18", 60, 30), (30, "0.09", 60, 1), connect="0.10")
MOBILE_OFFPEAK = _tariff((0, "0.04", 60, 1))
FRANCE = _tariff((0, "0.50", 60, 60), connect="0.20", bundle=False)
SMS = _tariff((0, "0.10", 1, 1))
DATA = _tariff((0, "1.00", 1048576, 1048576))


@pytest.mark.parametrize(
    ("tariff", "quantity", "allowance", "expected"),
    [
        (MOBILE_PEAK, 100, 300, (100, 100, 0)),  # e1: covered, connect fee waived
        (MOBILE_OFFPEAK, 250, 200, (250, 200, 333)),  # e2: 50 × 0.04/60 = 0.0333
        (MOBILE_PEAK, 20, 0, (30, 0, 1900)),  # e3: 0.10 + 30 × 0.18/60
        (FRANCE, 61, 0, (120, 0, 12000)),  # e4: 60/60 rounds 61 up to 120
        (FRANCE, 61, 500, (120, 0, 12000)),  # not a bundle rate: the allowance is untouched
        (SMS, 1, 2, (1, 1, 0)),  # e5
        (SMS, 1, 0, (1, 0, 1000)),  # e7
        (DATA, 15728640, 10485760, (15728640, 10485760, 50000)),  # e8: 5 MiB × 1.00
        (MOBILE_PEAK, 0, 0, (0, 0, 0)),  # e9: nothing, not even the connect fee
        # the allowance covers the first 20 billed units: 10 left in the first group
        # (10 × 0.18/60 = 0.03) and 70 in the second (70 × 0.09/60 = 0.105)
        (MOBILE_PEAK, 100, 20, (100, 20, 1350)),
        (MOBILE_PEAK, 31, 0, (31, 0, 1000 + 900 + 15)),  # 0.10 + 0.09 + 0.0015
        (_tariff((0, "0.00015", 1, 1)), 1, 0, (1, 0, 2)),  # 0.00015 rounds half up
        (_tariff((0, "0.00014", 1, 1)), 1, 0, (1, 0, 1)),
        # three groups: first 10 s whole, then by 6 s, then per second
        (
            _tariff((0, "0.60", 60, 10), (10, "0.30", 60, 6), (40, "0.06", 60, 1)),
            45,
            0,
            (10 + 30 + 5, 0, 1000 + 1500 + 50),
        ),
    ],
)
def test_contract_formula(tariff, quantity, allowance, expected):
    assert price(tariff, quantity, allowance) == expected
