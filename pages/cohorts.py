"""Cohorts (being built)."""

import streamlit as st

st.title("Cohorts")
