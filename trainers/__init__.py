"""The trainers: teacher and student training loops, loaders, losses, evaluation. Never imports pipeline."""
