"""File handling every app shares: hashing while bytes stream to storage (`hashing`), deciding a file's type
from its content and checking photos (`sniff`), and thumbnails as derived files (`thumbnails`)."""
