import pandas as pd
# data url in ArcGIS Hub
data_url = "https://opendata.arcgis.com/api/v3/datasets/f3277b5838814277afa3275671e632e5_0/downloads/data?format=csv&spatialRefId=4326&where=1%3D1"
dataframe = pd.read_csv(data_url, index_col=0, nrows=1000)
dataframe.to_csv("outputs/Motorized-Foot-Scooter-Trips-2020.csv", index=False)
