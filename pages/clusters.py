"""Clusters (being built)."""

import streamlit as st

st.title("Clusters")
