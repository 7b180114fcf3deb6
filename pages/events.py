"""Web events (being built)."""

import streamlit as st

st.title("Web events")
