"""Chasing what is owed: payment reminders on each business's steps, and statements of
account. Stands on documents and payments."""
