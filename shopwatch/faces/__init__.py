"""Retrospective facial recognition: candidate lists from stills, reviewed by a named person.

Under the ICO's biometric safeguards: see docs/faces.md.
"""
