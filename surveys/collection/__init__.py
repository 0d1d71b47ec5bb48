"""Collection: survey answers and household submissions (create, replay, correct), photos, quality
flags, staff review, survey points for the map and submission exports."""
