"""`Tuner` and `SharedSearch`: Optuna over the /admin/train parameters (`tuner`), the trainer's search
(`search`), one trial (`trial`), the study shared through the registry database (`study`), a
tune-worker's part (`worker`), the search space (`space`), the validation split taken from the
training data (`split`) and the confirmation of the best trials (`confirm`)."""
