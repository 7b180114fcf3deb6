"""Lifetime value (being built)."""

import streamlit as st

st.title("Lifetime value")
