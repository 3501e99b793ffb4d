"""Retrospective facial recognition: candidate lists from stills, reviewed by a named person, under biometric safeguards."""
