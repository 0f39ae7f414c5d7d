"""Rooms and instruments: the register, calibration and maintenance, storage units."""
