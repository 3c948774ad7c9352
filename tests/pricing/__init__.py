"""Tests of course.pricing: the bill, power tuning and the explorer widget."""
