"""RFM (being built)."""

import streamlit as st

st.title("RFM")
