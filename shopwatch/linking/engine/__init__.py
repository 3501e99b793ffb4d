"""The linkage engine: Splink settings, unsupervised training and scoring of person records (no Django models)."""
