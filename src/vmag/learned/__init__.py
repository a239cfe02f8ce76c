"""Learned motion magnification: networks trained by this project on its synthetic data."""
