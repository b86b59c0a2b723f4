"""The pseudo-labeling side: caption nouns, the Beam job, dataset versions. Never imports trainers."""
