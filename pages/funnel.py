"""Seller funnel (being built)."""

import streamlit as st

st.title("Seller funnel")
