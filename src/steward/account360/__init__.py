"""Account 360: one account seen through every domain (overview, timeline, merge, the account
pages). It sits above the domains it composes; `accounts` keeps the model, hierarchy and the
book rule."""
