"""`Tuner`: Optuna over the /admin/train parameters (`tuner`), its search space (`space`), the
validation split taken from the training data (`split`) and the confirmation of the best trials
(`confirm`)."""
