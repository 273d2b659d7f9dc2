"""Bulk assignment: one change to many objects, previewed, then run as a background job.

- `operations`: what a bulk change does to one object's value (set, add, remove, clear),
  and the rules it must keep.
- `upload`: reading a who-has-what CSV back as the values people want, row by row.
- `plan`: the dry run, a draft job with one item per object and attribute, each with its
  current value, its new value and whether it will change, is unchanged or is refused.
- `budget` (in portal.write_budget) and `engine`: the job's run, at Graph's write quota.
"""
